// `worlds top`'s view and its two forms, from recorded VMs and a host read
// (fakes' values), with and without the broker's consoles.
#include <gtest/gtest.h>

#include "cli/status_output.h"
#include "deploy/host_view.h"

namespace cli {
namespace {

using virt::DomainState;

store::VmRecord Vm(const std::string& lab, const std::string& owner, const std::string& vm) {
  store::VmRecord record;
  record.lab = lab;
  record.owner = owner;
  record.vm = vm;
  record.domain = "w-" + lab + "-" + owner + "-" + vm;
  return record;
}

class TopTest : public ::testing::Test {
 protected:
  deploy::HostView View(const std::optional<std::map<std::string, std::string>>& consoles) {
    std::vector<store::VmRecord> vms = {Vm("netlab", "alice", "router"),
                                        Vm("netlab", "alice", "client"),
                                        Vm("netlab", "bob", "router"), Vm("weblab", "bob", "web")};
    std::vector<virt::DomainUsage> domains = {
        {"other-vm", DomainState::kRunning, 1024, 2, 0},
        {"w-netlab-alice-client", DomainState::kShutOff, 256, 1, 0},
        {"w-netlab-alice-router", DomainState::kRunning, 256, 1, 5},
        {"w-netlab-bob-router", DomainState::kPaused, 256, 1, 5},
        {"w-weblab-bob-web", DomainState::kShutOff, 512, 2, 0},
    };
    capacity::Policy policy;
    policy.fixed_mib = 4096;
    return deploy::BuildHostView(vms, domains, virt::HostInfo{8192, 6000, 4}, policy, consoles);
  }
};

TEST_F(TopTest, CountsPerLabAndAgainstTheBudget) {
  deploy::HostView view = View(std::map<std::string, std::string>{
      {"w-netlab-alice-router", "alice"}, {"w-netlab-bob-router", "teacher"}});
  EXPECT_EQ(view.budget_mib, 4096);
  EXPECT_EQ(view.committed.memory_mib, 1024 + 256 + 256);
  EXPECT_EQ(view.others.memory_mib, 1024);
  ASSERT_EQ(view.labs.size(), 2u);
  EXPECT_EQ(view.labs[0].lab, "netlab");
  EXPECT_EQ(view.labs[0].worlds, 2);
  EXPECT_EQ(view.labs[0].vms, 3);
  EXPECT_EQ(view.labs[0].running, 2);
  EXPECT_EQ(view.labs[0].memory_mib, 512);
  EXPECT_EQ(FormatTop(view, ""),
            "Host: 4 CPUs, 8192 MiB RAM (6000 MiB free); memory budget 4096 MiB × overcommit 1 = "
            "4096 MiB\n"
            "Committed: 1536 of 4096 MiB (3 VM(s) running, 4 vCPU(s) on 4 CPUs), of which "
            "1024 MiB in 1 domain(s) Worlds did not deploy\n\n"
            "LAB    WORLDS VMS RUNNING MEMORY  VCPUS ON A CONSOLE\n"
            "netlab 2      3   2       512 MiB 2     alice on router (alice), teacher on router "
            "(bob)\n"
            "weblab 1      1   0       0 MiB   0     -\n");
}

TEST_F(TopTest, WithoutTheBrokerConsolesAreUnknownAndSaidWhy) {
  deploy::HostView view = View(std::nullopt);
  std::string text = FormatTop(view, "Who is on a console: unknown (no broker)");
  EXPECT_NE(text.find("512 MiB 2     ?\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nWho is on a console: unknown (no broker)\n"), std::string::npos);
  EXPECT_NE(FormatTopJson(view).find("\"consoles\": null"), std::string::npos);
}

}  // namespace
}  // namespace cli

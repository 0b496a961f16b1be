// Boots a customized VM under TCG and reads its serial console.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "guest/customizer.h"
#include "integration/deploy_fixture.h"

namespace {

using it::DeployTest;
using it::kUsers;
using it::kVms;

class BootTest : public DeployTest {
 protected:
  std::string Name() const override { return "boot"; }
};

TEST_F(BootTest, FirstBootBlockRunsOnceThenRemovesItself) {
  it::Run deploy = Deploy({"--group", "lab-a"});
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  std::string domain = core::DomainName(Lab(), "alice", "router");
  ASSERT_EQ(Domains().count(domain), 1u) << deploy.out;
  std::string log = core::ConsoleLogPath(state_dir_, Lab(), "alice", "router");

  it::Run start = it::Exec({"virsh", "-c", "qemu:///system", "start", domain});
  ASSERT_EQ(start.code, 0) << start.err;
  bool booted = it::WaitForText(log, "tiny: boot complete", 240);
  std::string console = it::ReadFile(log);
  // A graceful shutdown, as a student would do it, so the guest syncs.
  it::Exec({"virsh", "-c", "qemu:///system", "shutdown", domain});
  bool off = false;
  for (int i = 0; i < 120 && !off; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    off = it::Exec({"virsh", "-c", "qemu:///system", "domstate", domain}).out ==
          "shut off\n\n";
  }
  if (!off) it::Exec({"virsh", "-c", "qemu:///system", "destroy", domain});
  ASSERT_TRUE(booted) << console;
  EXPECT_TRUE(off) << "ACPI shutdown of the tiny guest";
  EXPECT_NE(console.find("worlds: first-boot block done"), std::string::npos) << console;

  std::vector<std::string> files =
      guest::ReadGuestFiles(Overlay("alice", "router"),
                            {"/etc/rc.local", "/etc/hostname", "/etc/motd"});
  EXPECT_EQ(files[0].find(guest::kFirstBootBegin), std::string::npos)
      << "the block removed itself:\n" << files[0];
  EXPECT_EQ(files[1], "router-alice\n");
  EXPECT_EQ(files[2], "netlab: router for alice ready\n") << "the lab's commands ran";
}

}  // namespace

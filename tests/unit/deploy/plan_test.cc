#include "deploy/plan.h"

#include <gtest/gtest.h>

#include "core/names.h"
#include "deploy/executor.h"
#include "fakes/fake_hypervisor.h"

namespace deploy {
namespace {

core::Lab TwoVmLab() {
  core::Lab lab;
  lab.name = "netlab";
  core::BaseImage image;
  image.name = "tiny";
  image.path = "/images/tiny.qcow2";
  image.kernel = "/images/tiny.vmlinuz";
  image.cmdline = "root=/dev/vda";
  lab.images.push_back(image);
  core::LabNetwork lan;
  lan.name = "lan";
  lan.cidr = "10.10.0.0/24";
  lan.prefix = 24;
  lab.networks.push_back(lan);
  for (const char* name : {"router", "client"}) {
    core::LabVm vm;
    vm.name = name;
    vm.image = "tiny";
    vm.memory_mib = 512;
    vm.vcpus = 2;
    vm.hostname_pattern = "{vm}-{owner}";
    vm.nics.push_back({"lan", std::string("10.10.{index}.") +
                                  (vm.name == "router" ? "1" : "10"), {}});
    vm.commands = {"echo {owner} on {lab} > /etc/motd", "echo ${HOME}"};
    lab.vms.push_back(vm);
  }
  return lab;
}

std::vector<core::World> Worlds() {
  return {{"netlab", "alice", 1}, {"netlab", "bob", 2}, {"netlab", "carol", 3}};
}

TEST(PlanTest, DesiredPlanDerivesEveryNameAndExpandsPatterns) {
  Plan plan = DesiredPlan(TwoVmLab(), Worlds(), {"/state", "qemu"});
  ASSERT_EQ(plan.worlds.size(), 3u);
  EXPECT_EQ(plan.TotalVms(), 6);
  const WorldPlan& bob = plan.worlds[1];
  ASSERT_EQ(bob.networks.size(), 1u);
  EXPECT_EQ(bob.networks[0].name, "w-netlab-bob-lan");
  EXPECT_EQ(bob.networks[0].bridge, core::BridgeName("netlab", "bob", "lan"));
  const VmPlan& router = bob.vms[0];
  EXPECT_EQ(router.domain, "w-netlab-bob-router");
  EXPECT_EQ(router.overlay, "/state/worlds/netlab/bob/router.qcow2");
  EXPECT_EQ(router.base, "/images/tiny.qcow2");
  EXPECT_EQ(router.base_format, "qcow2");
  EXPECT_EQ(router.action, VmAction::kBuild);
  EXPECT_EQ(router.edit.disk_path, router.overlay);
  EXPECT_EQ(router.edit.hostname, "router-bob");
  ASSERT_EQ(router.edit.nics.size(), 1u);
  EXPECT_EQ(router.edit.nics[0].interface, "eth0");
  EXPECT_EQ(router.edit.nics[0].address, "10.10.2.1");
  EXPECT_EQ(router.edit.nics[0].prefix, 24);
  EXPECT_EQ(router.edit.commands,
            (std::vector<std::string>{"echo bob on netlab > /etc/motd", "echo ${HOME}"}));
  EXPECT_EQ(router.spec.name, "w-netlab-bob-router");
  EXPECT_EQ(router.spec.accel, "qemu");
  EXPECT_EQ(router.spec.memory_mib, 512);
  EXPECT_EQ(router.spec.vcpus, 2);
  EXPECT_EQ(router.spec.disk_path, router.overlay);
  EXPECT_EQ(router.spec.kernel, "/images/tiny.vmlinuz");
  ASSERT_EQ(router.spec.interfaces.size(), 1u);
  EXPECT_EQ(router.spec.interfaces[0].network, "w-netlab-bob-lan");
  EXPECT_EQ(router.spec.interfaces[0].mac, core::MacAddress("w-netlab-bob-router", 0));
  EXPECT_EQ(router.spec.console_log, "/state/worlds/netlab/bob/router.console.log");
}

TEST(PlanTest, ReconcileKeepsCompleteVmsAndRebuildsTheRest) {
  Plan plan = DesiredPlan(TwoVmLab(), Worlds(), {"/nonexistent-state", "qemu"});
  fakes::FakeHypervisor hv;
  // alice/router: complete in libvirt, but its overlay is missing: rebuilt.
  // bob/router: defined, no snapshot (interrupted): rebuilt, stale domain removed.
  hv.DefineDomain(plan.worlds[0].vms[0].spec);
  hv.CreateSnapshot(plan.worlds[0].vms[0].domain, "clean");
  hv.DefineDomain(plan.worlds[1].vms[0].spec);
  ReconcileWithActual(plan, hv);
  EXPECT_EQ(plan.worlds[0].vms[0].action, VmAction::kBuild);
  EXPECT_TRUE(plan.worlds[0].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.worlds[1].vms[0].action, VmAction::kBuild);
  EXPECT_TRUE(plan.worlds[1].vms[0].remove_stale_domain);
  EXPECT_FALSE(plan.worlds[2].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.CountAction(VmAction::kBuild), 6);
  EXPECT_FALSE(plan.NothingToDo());
}

TEST(PlanTest, DescribePlanNamesEachWorldVmAndAddress) {
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, {"/s", "kvm"});
  std::string text = DescribePlan(plan);
  EXPECT_NE(text.find("Plan for lab 'netlab': 1 World(s), 2 VM(s), 2 to build, 0 to "
                      "re-define, 0 up to date\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("    w-netlab-alice-router: build (hostname router-alice, eth0 "
                      "10.10.1.1/24)\n"),
            std::string::npos) << text;
}

TEST(SplitWorldsTest, WholeWorldsBalancedOverJobs) {
  Plan plan = DesiredPlan(TwoVmLab(), Worlds(), {"/s", "qemu"});
  plan.worlds[2].vms[0].action = VmAction::kNothing;  // carol: one VM to build
  auto batches = SplitWorlds(plan, 2);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size() + batches[1].size(), 3u);
  size_t vms0 = 0, vms1 = 0;
  for (const auto& w : batches[0]) vms0 += w.CountAction(VmAction::kBuild);
  for (const auto& w : batches[1]) vms1 += w.CountAction(VmAction::kBuild);
  EXPECT_EQ(vms0 + vms1, 5u);
  EXPECT_LE(std::max(vms0, vms1) - std::min(vms0, vms1), 2u);

  EXPECT_EQ(SplitWorlds(plan, 8).size(), 3u) << "never more workers than Worlds";
  for (auto& world : plan.worlds) {
    for (auto& vm : world.vms) vm.action = VmAction::kNothing;
  }
  EXPECT_TRUE(SplitWorlds(plan, 2).empty()) << "nothing to do, no worker";
}

TEST(SummaryTest, DescribesNothingToDoAndFailures) {
  Summary nothing;
  nothing.worlds = 3;
  nothing.vms = 6;
  nothing.up_to_date = 6;
  EXPECT_EQ(DescribeSummary(nothing, 0),
            "Nothing to do: 3 World(s), 6 VM(s) already deployed (0.0 s).\n");
  Summary some;
  some.worlds = 2;
  some.vms = 4;
  some.done = 3;
  some.workers = 2;
  some.launches = 2;
  some.drives = 4;
  some.seconds = 12.34;
  some.phase_seconds["customize"] = 11;
  some.failures.push_back("w-l-a-b (customize): boom");
  std::string text = DescribeSummary(some, 4 << 20);
  EXPECT_NE(text.find("Deployed with failures: 2 World(s), 4 VM(s): 3 built now, 0 "
                      "already up to date, 1 failed, in 12.3 s.\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("customize 11.0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("2 appliance launch(es) for 4 disk(s)"), std::string::npos);
  EXPECT_NE(text.find("4.0 MiB (2.0 MiB per World)"), std::string::npos) << text;
  EXPECT_NE(text.find("  FAILED w-l-a-b (customize): boom\n"), std::string::npos);
}

}  // namespace
}  // namespace deploy

#include "deploy/plan.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/names.h"
#include "deploy/executor.h"
#include "fakes/fake_disks.h"
#include "fakes/fake_hypervisor.h"
#include "support/temp_dir.h"

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
  // Both of bob's VMs share his World's partition; alice has her own.
  EXPECT_EQ(router.spec.partition, "/machine/worlds/netlab_bob");
  EXPECT_EQ(bob.vms[1].spec.partition, "/machine/worlds/netlab_bob");
  EXPECT_EQ(plan.worlds[0].vms[0].spec.partition, "/machine/worlds/netlab_alice");
}

TEST(PlanTest, NoCpuPartitionsLeavesDomainsInLibvirtsDefault) {
  PlanOptions options{"/state", "qemu"};
  options.cpu_partitions = false;
  Plan plan = DesiredPlan(TwoVmLab(), Worlds(), options);
  EXPECT_EQ(plan.worlds[1].vms[0].spec.partition, "");
}

// The lab's cpu-limit goes on every VM of every World (each World's
// partition is limited as a whole), and only where there is a partition.
TEST(PlanTest, CpuLimitIsEachWorldsAndNeedsPartitions) {
  core::Lab lab = TwoVmLab();
  lab.cpu_limit = core::CpuLimit{150, {}};
  Plan plan = DesiredPlan(lab, Worlds(), {"/state", "qemu"});
  for (const WorldPlan& world : plan.worlds) {
    for (const VmPlan& vm : world.vms) EXPECT_EQ(vm.spec.cpu_limit_percent, 150) << vm.domain;
  }
  EXPECT_EQ(DescribeCpuLimit(plan),
            "Each World's VMs together may use at most 1.5 CPUs of the host (cpu-limit)");
  EXPECT_NE(DescribePlan(plan).find("\n  Each World's VMs together may use at most 1.5 CPUs"),
            std::string::npos);

  PlanOptions options{"/state", "qemu"};
  options.cpu_partitions = false;
  Plan none = DesiredPlan(lab, Worlds(), options);
  EXPECT_EQ(none.worlds[0].vms[0].spec.cpu_limit_percent, 0);
  EXPECT_EQ(DescribeCpuLimit(none),
            "cpu-limit 1.5 CPUs is not applied: the cpu-partitions setting is none, so no "
            "World has a partition to limit");
  lab.cpu_limit = core::CpuLimit{100, {}};
  EXPECT_EQ(DescribeCpuLimit(DesiredPlan(lab, Worlds(), {"/state", "qemu"})),
            "Each World's VMs together may use at most 1 CPU of the host (cpu-limit)");
  lab.cpu_limit = core::CpuLimit{5, {}};
  EXPECT_EQ(DescribeCpuLimit(DesiredPlan(lab, Worlds(), {"/state", "qemu"})),
            "Each World's VMs together may use at most 0.05 CPUs of the host (cpu-limit)");
  lab.cpu_limit.reset();
  EXPECT_EQ(DescribeCpuLimit(DesiredPlan(lab, Worlds(), {"/state", "qemu"})), "");
}

TEST(PlanTest, ReconcileKeepsCompleteVmsAndRebuildsTheRest) {
  Plan plan = DesiredPlan(TwoVmLab(), Worlds(), {"/nonexistent-state", "qemu"});
  fakes::FakeHypervisor hv;
  fakes::FakeDisks disks;
  // alice/router: complete in libvirt, but its overlay is missing: rebuilt.
  // bob/router: defined, no snapshot (interrupted): rebuilt, stale domain removed.
  hv.DefineDomain(plan.worlds[0].vms[0].spec);
  hv.CreateSnapshot(plan.worlds[0].vms[0].domain, "clean");
  hv.DefineDomain(plan.worlds[1].vms[0].spec);
  ReconcileWithActual(plan, hv, disks);
  EXPECT_EQ(plan.worlds[0].vms[0].action, VmAction::kBuild);
  EXPECT_TRUE(plan.worlds[0].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.worlds[1].vms[0].action, VmAction::kBuild);
  EXPECT_TRUE(plan.worlds[1].vms[0].remove_stale_domain);
  EXPECT_FALSE(plan.worlds[2].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.CountAction(VmAction::kBuild), 6);
  EXPECT_FALSE(plan.NothingToDo());
}

// A scratch state dir with overlays (fake ones: FakeDisks), some with an
// internal `clean` snapshot as a deploy leaves them.
class LabChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = temp_.path();
    options_ = {state_, "qemu"};
  }

  void MakeOverlay(const std::string& path, bool clean) {
    fakes::FakeDisks::Write(path, clean);
  }
  // Deployed as `lab` describes it: domain, overlay, `clean`.
  void Deployed(const VmPlan& vm) {
    MakeOverlay(vm.overlay, true);
    hv_.DefineDomain(vm.spec);
    hv_.CreateSnapshot(vm.domain, "clean");
  }

  support::TempDir temp_{"worlds-plan-test-"};
  std::string state_;
  PlanOptions options_;
  fakes::FakeHypervisor hv_;
  fakes::FakeDisks disks_;
};

TEST_F(LabChangeTest, MemoryChangeRedefinesShutOffVmsAndWaitsForRunningOnes) {
  Plan old_plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  for (const VmPlan& vm : old_plan.worlds[0].vms) Deployed(vm);
  hv_.domains.at("w-netlab-alice-client").state = virt::DomainState::kRunning;
  core::Lab lab = TwoVmLab();
  for (core::LabVm& vm : lab.vms) vm.memory_mib = 1024;
  lab.vms[0].vcpus = 1;
  Plan plan = DesiredPlan(lab, {{"netlab", "alice", 1}}, options_);
  ReconcileWithActual(plan, hv_, disks_);
  const VmPlan& router = plan.worlds[0].vms[0];
  EXPECT_EQ(router.action, VmAction::kAdopt);
  EXPECT_TRUE(router.remove_stale_domain);
  EXPECT_EQ(router.change, "memory 512 -> 1024 MiB, vCPUs 2 -> 1");
  const VmPlan& client = plan.worlds[0].vms[1];
  EXPECT_EQ(client.action, VmAction::kNothing);
  EXPECT_EQ(client.change,
            "memory 512 -> 1024 MiB waits: the VM is running; re-run deploy once it is "
            "shut off");
  std::string text = DescribePlan(plan);
  EXPECT_NE(text.find("    w-netlab-alice-router: re-define over its kept overlay (memory "
                      "512 -> 1024 MiB, vCPUs 2 -> 1)\n"),
            std::string::npos) << text;
}

// A World deployed before partitions (or with cpu-partitions = none) moves
// into its partition at the next deploy, its disk kept; a running VM waits.
TEST_F(LabChangeTest, PartitionChangeRedefinesShutOffVms) {
  PlanOptions without = options_;
  without.cpu_partitions = false;
  Plan old_plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, without);
  for (const VmPlan& vm : old_plan.worlds[0].vms) Deployed(vm);
  hv_.domains.at("w-netlab-alice-client").state = virt::DomainState::kRunning;
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  ReconcileWithActual(plan, hv_, disks_);
  const VmPlan& router = plan.worlds[0].vms[0];
  EXPECT_EQ(router.action, VmAction::kAdopt);
  EXPECT_EQ(router.change, "partition /machine -> /machine/worlds/netlab_alice");
  EXPECT_EQ(plan.worlds[0].vms[1].action, VmAction::kNothing);
}

// A new cpu-limit in the lab re-defines the shut-off VMs over their disks.
TEST_F(LabChangeTest, CpuLimitChangeRedefinesShutOffVms) {
  Plan old_plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  for (const VmPlan& vm : old_plan.worlds[0].vms) Deployed(vm);
  core::Lab lab = TwoVmLab();
  lab.cpu_limit = core::CpuLimit{50, {}};
  Plan plan = DesiredPlan(lab, {{"netlab", "alice", 1}}, options_);
  ReconcileWithActual(plan, hv_, disks_);
  const VmPlan& router = plan.worlds[0].vms[0];
  EXPECT_EQ(router.action, VmAction::kAdopt);
  EXPECT_EQ(router.change, "World CPU limit none -> 0.5 CPUs");
}

// libvirt lost `clean` (a define interrupted before the snapshot was
// registered again) but the overlay has it: the student's disk is adopted,
// never rebuilt.
TEST_F(LabChangeTest, OverlayWithCleanInsideIsAdoptedNotRebuilt) {
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  const VmPlan& router = plan.worlds[0].vms[0];
  MakeOverlay(router.overlay, true);
  hv_.DefineDomain(router.spec);  // no snapshot in libvirt
  const VmPlan& client = plan.worlds[0].vms[1];
  MakeOverlay(client.overlay, false);  // interrupted before its first `clean`
  hv_.DefineDomain(client.spec);
  ReconcileWithActual(plan, hv_, disks_);
  EXPECT_EQ(plan.worlds[0].vms[0].action, VmAction::kAdopt);
  EXPECT_TRUE(plan.worlds[0].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.worlds[0].vms[1].action, VmAction::kBuild);
  EXPECT_TRUE(plan.worlds[0].vms[1].remove_stale_domain);
}

// An overlay that cannot be read may be the student's: the plan neither
// rebuilds over it nor removes its domain, and says why.
TEST_F(LabChangeTest, UnreadableOverlayIsRefusedNeverRebuilt) {
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  const VmPlan& router = plan.worlds[0].vms[0];
  MakeOverlay(router.overlay, true);
  fakes::FakeDisks::Corrupt(router.overlay);
  hv_.DefineDomain(router.spec);  // no snapshot in libvirt
  ReconcileWithActual(plan, hv_, disks_);
  EXPECT_EQ(plan.worlds[0].vms[0].action, VmAction::kRefused);
  EXPECT_FALSE(plan.worlds[0].vms[0].remove_stale_domain);
  EXPECT_EQ(plan.worlds[0].vms[0].change,
            "its overlay " + router.overlay + " cannot be read (qemu-img: Could not open '" +
                router.overlay +
                "': not a qcow2 image); deploy leaves it alone: check it with qemu-img check, "
                "or move it away to have deploy rebuild the VM (its student data is then "
                "lost)");
  EXPECT_EQ(plan.worlds[0].vms[1].action, VmAction::kBuild);
  EXPECT_FALSE(plan.NothingToDo());
  EXPECT_NE(DescribePlan(plan).find("    w-netlab-alice-router: left alone, its overlay cannot "
                                    "be read (its overlay "),
            std::string::npos)
      << DescribePlan(plan);
  auto batches = SplitWorlds(plan, 1);
  ASSERT_EQ(batches.size(), 1u) << "the World's other VM is still built";
}

TEST_F(LabChangeTest, DroppedUnreadableOverlayIsKeptAsStudentData) {
  core::Lab lab = TwoVmLab();
  core::LabVm web = lab.vms[1];
  web.name = "web";
  lab.vms.push_back(web);
  Plan old_plan = DesiredPlan(lab, {{"netlab", "alice", 1}}, options_);
  MakeOverlay(old_plan.worlds[0].vms[2].overlay, false);
  fakes::FakeDisks::Corrupt(old_plan.worlds[0].vms[2].overlay);
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  FindDroppedVms(plan, {}, options_, hv_, disks_);
  ASSERT_EQ(plan.worlds[0].dropped.size(), 1u);
  const DroppedVm& dropped = plan.worlds[0].dropped[0];
  EXPECT_TRUE(dropped.student_data);
  EXPECT_FALSE(dropped.remove);
  EXPECT_NE(DescribePlan(plan).find("    w-netlab-alice-web: no longer in the lab, kept: its "
                                    "overlay cannot be read (qemu-img: Could not open"),
            std::string::npos)
      << DescribePlan(plan);
}

TEST_F(LabChangeTest, DroppedVmsWithStudentDataAreKeptUnlessTold) {
  core::Lab lab = TwoVmLab();
  core::LabVm web = lab.vms[1];
  web.name = "web";
  lab.vms.push_back(web);
  core::LabVm db = lab.vms[1];
  db.name = "db";
  lab.vms.push_back(db);
  Plan old_plan = DesiredPlan(lab, {{"netlab", "alice", 1}}, options_);
  for (const VmPlan& vm : old_plan.worlds[0].vms) {
    if (vm.vm != "db") Deployed(vm);
  }
  // db: an overlay without `clean` (never finished) and a stray temporary.
  MakeOverlay(old_plan.worlds[0].vms[3].overlay, false);
  std::ofstream(old_plan.worlds[0].vms[3].overlay + ".tmp-42") << "x";
  std::vector<store::VmRecord> recorded = {
      {"netlab", "alice", "web", "w-netlab-alice-web", "", store::VmPhase::kReady, ""},
      {"netlab", "alice", "gone", "w-netlab-alice-gone", "", store::VmPhase::kReady, ""},
      {"netlab", "bob", "other", "w-netlab-bob-other", "", store::VmPhase::kReady, ""}};

  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options_);
  ReconcileWithActual(plan, hv_, disks_);
  FindDroppedVms(plan, recorded, options_, hv_, disks_);
  const std::vector<DroppedVm>& dropped = plan.worlds[0].dropped;
  ASSERT_EQ(dropped.size(), 3u);  // db, gone, web (sorted); not bob's
  EXPECT_EQ(dropped[0].vm, "db");
  EXPECT_FALSE(dropped[0].student_data);
  EXPECT_TRUE(dropped[0].remove);
  EXPECT_FALSE(dropped[0].domain_exists);
  EXPECT_EQ(dropped[1].vm, "gone");  // only a row left: nothing to keep
  EXPECT_FALSE(dropped[1].overlay_exists);
  EXPECT_TRUE(dropped[1].remove);
  EXPECT_EQ(dropped[2].vm, "web");
  EXPECT_TRUE(dropped[2].student_data);
  EXPECT_TRUE(dropped[2].domain_exists);
  EXPECT_FALSE(dropped[2].remove);
  EXPECT_FALSE(plan.NothingToDo());
  std::string text = DescribePlan(plan);
  EXPECT_NE(text.find("2 up to date, 3 no longer in the lab (2 to remove, 1 kept)\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("    w-netlab-alice-web: no longer in the lab, kept: its overlay "
                      "holds student data (--delete-student-data removes it)\n"),
            std::string::npos) << text;

  PlanOptions told = options_;
  told.delete_student_data = true;
  Plan forced = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, told);
  FindDroppedVms(forced, recorded, told, hv_, disks_);
  EXPECT_TRUE(forced.worlds[0].dropped[2].remove);
  EXPECT_NE(DescribePlan(forced).find("    w-netlab-alice-web: no longer in the lab, remove "
                                      "with its student data (--delete-student-data)\n"),
            std::string::npos);
}

TEST(PlanTest, DescribePlanNamesEachWorldVmAndAddress) {
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, {"/s", "kvm"});
  std::string text = DescribePlan(plan);
  EXPECT_NE(text.find("Plan for lab 'netlab': 1 World(s), 2 VM(s), 2 to build, 0 to "
                      "re-define, 0 up to date\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("    w-netlab-alice-router: build (hostname router-alice, eth0 "
                      "10.10.1.1/24 " + core::MacAddress("w-netlab-alice-router", 0) + ")\n"),
            std::string::npos) << text;
}

TEST(PlanTest, InspectedGuestsNameNicsAfterTheNetworkAndKnowTheirWorld) {
  PlanOptions options{"/s", "kvm"};
  guest::OsInfo os;
  os.udev = true;
  os.network_stack = guest::kIfupdown;
  for (const core::BaseImage& image : TwoVmLab().images) options.images[image.name] = os;
  Plan plan = DesiredPlan(TwoVmLab(), {{"netlab", "alice", 1}}, options);
  const VmPlan& router = plan.worlds.at(0).vms.at(0);
  ASSERT_EQ(router.edit.nics.size(), 1u);
  EXPECT_EQ(router.edit.nics[0].interface, "lan");
  EXPECT_EQ(router.edit.nics[0].mac, router.spec.interfaces.at(0).mac);
  EXPECT_EQ(router.edit.os.network_stack, guest::kIfupdown);
  ASSERT_EQ(router.edit.hosts.size(), 2u);
  EXPECT_EQ(router.edit.hosts[1].address, "10.10.1.10");
  EXPECT_EQ(router.edit.hosts[1].names, (std::vector<std::string>{"client-alice", "client"}));
  EXPECT_NE(DescribePlan(plan).find("(hostname router-alice, ifupdown, lan 10.10.1.1/24 "),
            std::string::npos)
      << DescribePlan(plan);
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

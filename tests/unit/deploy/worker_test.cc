#include "deploy/worker.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/names.h"
#include "core/version.h"
#include "deploy/protocol.h"
#include "fakes/fake_customizer.h"
#include "fakes/fake_disks.h"
#include "fakes/fake_hypervisor.h"
#include "support/error_text.h"
#include "support/temp_dir.h"
#include "virt/hypervisor.h"

namespace deploy {
namespace {

// A batch of two Worlds over a (fake) base: overlays are FakeDisks files,
// the hypervisor and appliance are fakes.
class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    base_ = (dir_ / "base.qcow2").string();
    std::ofstream(base_) << "base";
    for (const char* owner : {"alice", "bob"}) {
      WorldPlan world;
      world.world = {"lab", owner, 1};
      world.networks.push_back({core::NetworkName("lab", owner, "lan"),
                                core::BridgeName("lab", owner, "lan")});
      for (const char* name : {"a", "b"}) {
        VmPlan vm;
        vm.vm = name;
        vm.domain = core::DomainName("lab", owner, name);
        vm.overlay = core::OverlayPath(dir_.string(), "lab", owner, name);
        vm.base = base_;
        vm.base_format = "qcow2";
        vm.edit.disk_path = vm.overlay;
        vm.edit.hostname = std::string(name) + "-" + owner;
        vm.spec.name = vm.domain;
        vm.spec.disk_path = vm.overlay;
        vm.spec.interfaces.push_back({world.networks[0].name, core::MacAddress(vm.domain, 0)});
        world.vms.push_back(vm);
      }
      batch_.worlds.push_back(world);
    }
  }
  std::vector<Message> Run() {
    std::vector<Message> messages;
    RunBatch(batch_, hv_, customizer_, disks_,
             [&](const Message& m) { messages.push_back(m); });
    return messages;
  }

  static std::map<std::string, std::string> LastPhase(const std::vector<Message>& messages) {
    std::map<std::string, std::string> last;
    for (const Message& m : messages) {
      if (m.kind == "phase") last[m.domain] = m.phase;
      if (m.kind == "error") last[m.domain] = "error: " + m.message;
    }
    return last;
  }

  support::TempDir temp_{"worlds-worker-test-"};
  std::filesystem::path dir_;
  std::string base_;
  Batch batch_;
  fakes::FakeHypervisor hv_;
  fakes::FakeCustomizer customizer_;
  fakes::FakeDisks disks_;
};

// A fault that leaves the customize step (here: the pipe to the parent
// breaks) while the define thread runs ends the batch with that exception,
// which WorkerMain reports as "fatal"; before, the joinable define thread
// was destroyed and the worker died of std::terminate.
TEST_F(WorkerTest, FaultDuringCustomizeEndsTheBatchNotTheProcess) {
  auto emit = [](const Message& m) {
    if (m.kind == "timing" && m.phase == "identity") throw std::runtime_error("broken pipe");
  };
  EXPECT_THROW(RunBatch(batch_, hv_, customizer_, disks_, emit), std::runtime_error);
}

TEST_F(WorkerTest, BuildsEveryVmWithOneApplianceLaunch) {
  std::vector<Message> messages = Run();
  auto last = LastPhase(messages);
  ASSERT_EQ(last.size(), 4u);
  for (const auto& [domain, phase] : last) EXPECT_EQ(phase, "ready") << domain;
  EXPECT_EQ(customizer_.launches(), 1);
  ASSERT_EQ(customizer_.calls().size(), 1u);
  EXPECT_EQ(customizer_.calls()[0].size(), 4u) << "every disk in one appliance";
  for (const WorldPlan& world : batch_.worlds) {
    EXPECT_TRUE(hv_.networks.count(world.networks[0].name));
    for (const VmPlan& vm : world.vms) {
      EXPECT_TRUE(std::filesystem::exists(vm.overlay));
      EXPECT_EQ(hv_.domains.at(vm.domain).snapshots, std::vector<std::string>{"clean"});
    }
  }
  int launches = 0;
  for (const Message& m : messages) {
    if (m.kind == "launch") {
      ++launches;
      EXPECT_EQ(m.count, 4);
    }
  }
  EXPECT_EQ(launches, 1);
}

TEST_F(WorkerTest, FailedDiskFailsOnlyItsVmAndLeavesNoDomain) {
  const VmPlan& bad = batch_.worlds[1].vms[0];
  customizer_.FailDisk(bad.overlay, "no /etc in this disk");
  auto last = LastPhase(Run());
  EXPECT_EQ(last[bad.domain], "error: no /etc in this disk");
  EXPECT_FALSE(hv_.domains.count(bad.domain)) << "only complete VMs stay defined";
  EXPECT_EQ(last[batch_.worlds[1].vms[1].domain], "ready");
  EXPECT_EQ(last[batch_.worlds[0].vms[0].domain], "ready");
}

TEST_F(WorkerTest, NetworkFailureFailsThatWorldOnly) {
  hv_.FailOn("EnsureNetwork w-lab-alice-lan", "bridge wb123 exists");
  auto last = LastPhase(Run());
  EXPECT_EQ(last["w-lab-alice-a"], "error: bridge wb123 exists");
  EXPECT_EQ(last["w-lab-alice-b"], "error: bridge wb123 exists");
  EXPECT_EQ(last["w-lab-bob-a"], "ready");
  EXPECT_FALSE(hv_.domains.count("w-lab-alice-a"));
}

TEST_F(WorkerTest, ApplianceFailureFailsEveryVmWithItsMessage) {
  customizer_.FailLaunch("cannot launch the appliance");
  auto last = LastPhase(Run());
  for (const auto& [domain, phase] : last) {
    EXPECT_EQ(phase, "error: cannot launch the appliance") << domain;
  }
  EXPECT_TRUE(hv_.domains.empty());
}

TEST_F(WorkerTest, RebuildReplacesAnUnsnapshottedOverlayAndStaleDomain) {
  Run();
  VmPlan& vm = batch_.worlds[0].vms[0];
  hv_.domains.at(vm.domain).snapshots.clear();  // as if killed before snapshot
  for (WorldPlan& world : batch_.worlds) {
    for (VmPlan& other : world.vms) other.action = VmAction::kNothing;
  }
  vm.action = VmAction::kBuild;
  vm.remove_stale_domain = true;
  auto last = LastPhase(Run());
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[vm.domain], "ready");
  EXPECT_EQ(hv_.domains.at(vm.domain).snapshots, std::vector<std::string>{"clean"});
}

TEST_F(WorkerTest, AdoptKeepsTheOverlayAndRegistersItsSnapshot) {
  Run();
  VmPlan& vm = batch_.worlds[0].vms[1];
  auto inode = std::filesystem::last_write_time(vm.overlay);
  hv_.RemoveDomain(vm.domain);
  for (WorldPlan& world : batch_.worlds) {
    for (VmPlan& other : world.vms) other.action = VmAction::kNothing;
  }
  vm.action = VmAction::kAdopt;
  int launches = customizer_.launches();
  auto last = LastPhase(Run());
  EXPECT_EQ(last[vm.domain], "ready");
  EXPECT_EQ(customizer_.launches(), launches) << "a kept overlay is not customized again";
  EXPECT_EQ(std::filesystem::last_write_time(vm.overlay), inode);
  EXPECT_EQ(hv_.calls.back(), "AdoptSnapshot " + vm.domain + " clean");
}

// A lab change of memory: the domain is defined anew over the same overlay
// and `clean` registered again; the disk is not touched.
TEST_F(WorkerTest, RedefineGivesAShutOffVmItsNewSizeOverTheSameOverlay) {
  Run();
  VmPlan& vm = batch_.worlds[0].vms[0];
  auto written = std::filesystem::last_write_time(vm.overlay);
  for (WorldPlan& world : batch_.worlds) {
    for (VmPlan& other : world.vms) other.action = VmAction::kNothing;
  }
  vm.action = VmAction::kAdopt;
  vm.remove_stale_domain = true;
  vm.spec.memory_mib = 1024;
  auto last = LastPhase(Run());
  EXPECT_EQ(last[vm.domain], "ready");
  EXPECT_EQ(hv_.domains.at(vm.domain).spec.memory_mib, 1024);
  EXPECT_EQ(hv_.domains.at(vm.domain).snapshots, std::vector<std::string>{"clean"});
  EXPECT_EQ(std::filesystem::last_write_time(vm.overlay), written);
}

TEST_F(WorkerTest, RedefineLeavesARunningVmAlone) {
  Run();
  VmPlan& vm = batch_.worlds[0].vms[0];
  int old_memory = hv_.domains.at(vm.domain).spec.memory_mib;
  for (WorldPlan& world : batch_.worlds) {
    for (VmPlan& other : world.vms) other.action = VmAction::kNothing;
  }
  vm.action = VmAction::kAdopt;
  vm.remove_stale_domain = true;
  vm.spec.memory_mib = old_memory * 2;
  hv_.domains.at(vm.domain).state = virt::DomainState::kRunning;  // started since the plan
  auto last = LastPhase(Run());
  EXPECT_EQ(last[vm.domain],
            "error: " + vm.domain + ": the VM was started after the plan was made; it "
            "keeps its old definition (re-run deploy once it is shut off)");
  ASSERT_TRUE(hv_.domains.count(vm.domain)) << "a running VM is never removed";
  EXPECT_EQ(hv_.domains.at(vm.domain).state, virt::DomainState::kRunning);
  EXPECT_EQ(hv_.domains.at(vm.domain).spec.memory_mib, old_memory);
}

// A killed worker leaves "<overlay>.tmp-<pid>"; the rebuild sweeps it.
TEST_F(WorkerTest, RebuildRemovesTemporariesOfKilledWorkers) {
  VmPlan& vm = batch_.worlds[0].vms[0];
  std::filesystem::create_directories(std::filesystem::path(vm.overlay).parent_path());
  std::string stale = vm.overlay + ".tmp-999999";
  std::ofstream(stale) << "half an overlay";
  Run();
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(vm.overlay));
}

TEST(ProtocolTest, BatchAndMessagesRoundTrip) {
  Batch batch;
  batch.config = {"qemu:///system", "direct", "force_tcg"};
  WorldPlan world;
  world.world = {"lab", "o'brien", 7};
  VmPlan vm;
  vm.domain = "w-lab-x-y";
  vm.action = VmAction::kAdopt;
  vm.edit.commands = {"echo \"<&>\"", "line\nbreak"};
  vm.edit.nics.push_back({"eth0", "10.0.0.1", 24});
  vm.spec.interfaces.push_back({"net", "52:54:00:00:00:01"});
  // Every field the domain's XML is made of, so that a field the protocol
  // forgets shows as a different definition below.
  vm.spec.name = vm.domain;
  vm.spec.accel = "kvm";
  vm.spec.memory_mib = 768;
  vm.spec.vcpus = 3;
  vm.spec.disk_path = "/state/lab/x/y.qcow2";
  vm.spec.disk_format = "raw";
  vm.spec.kernel = "/k";
  vm.spec.initrd = "/i";
  vm.spec.cmdline = "root=/dev/vda";
  vm.spec.console_log = "/state/logs/y.log";
  vm.spec.title = "lab / x / y";
  vm.spec.partition = "/machine/worlds/lab_x";
  vm.spec.cpu_limit_percent = 150;
  world.vms.push_back(vm);
  batch.worlds.push_back(world);
  Batch back = DecodeBatch(EncodeBatch(batch));
  EXPECT_EQ(back.config.guestfs_settings, "force_tcg");
  EXPECT_EQ(back.worlds[0].world.owner, "o'brien");
  EXPECT_EQ(back.worlds[0].world.index, 7);
  EXPECT_EQ(back.worlds[0].vms[0].action, VmAction::kAdopt);
  EXPECT_EQ(back.worlds[0].vms[0].edit.commands, vm.edit.commands);
  EXPECT_EQ(back.worlds[0].vms[0].spec.interfaces[0].mac, "52:54:00:00:00:01");
  EXPECT_EQ(virt::RenderDomainXml(back.worlds[0].vms[0].spec), virt::RenderDomainXml(vm.spec));

  EXPECT_EQ(back.version, kWorkerProtocolVersion);
  EXPECT_EQ(back.config.failpoint, "");
  // The fault tests' failpoint travels to a worker over SSH; a batch
  // without one (any from outside the tests) reads as none.
  batch.config.failpoint = "worker-after-define@2";
  EXPECT_EQ(DecodeBatch(EncodeBatch(batch)).config.failpoint, "worker-after-define@2");
  nlohmann::json without = nlohmann::json::parse(EncodeBatch(batch));
  without["config"].erase("failpoint");
  EXPECT_EQ(DecodeBatch(without.dump()).config.failpoint, "");

  Message m{"error", "w-a-b-c", "customize", "it\nbroke", 1.5, 3};
  std::string line = EncodeMessage(m);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  Message n = DecodeMessage(line);
  EXPECT_EQ(n.message, "it\nbroke");
  EXPECT_EQ(n.count, 3);
  EXPECT_THROW(DecodeMessage("not json"), core::Error);
  EXPECT_THROW(DecodeBatch("{}"), core::Error);
}

// A lab host with another worlds installed refuses the batch, saying both
// versions, before it reads anything else of it.
TEST(ProtocolTest, ABatchOfAnotherProtocolVersionIsRefused) {
  Batch batch;
  batch.config = {"qemu:///system", "direct", ""};
  nlohmann::json json = nlohmann::json::parse(EncodeBatch(batch));
  EXPECT_EQ(json.at("version"), kWorkerProtocolVersion);
  json["version"] = kWorkerProtocolVersion + 1;
  json["worlds"] = "a shape this version does not know";
  core::Error e = support::ThrownError([&] { DecodeBatch(json.dump()); });
  EXPECT_EQ(e.message(), "the deploying worlds speaks worker protocol version " +
                             std::to_string(kWorkerProtocolVersion + 1) +
                             ", this worker (worlds " + core::Version() + ") version " +
                             std::to_string(kWorkerProtocolVersion));
  EXPECT_EQ(e.fix(), "install the same worlds version on every lab host");
  json.erase("version");
  EXPECT_NE(support::ErrorText([&] { DecodeBatch(json.dump()); })
                .find("version none (a worlds from before versions)"),
            std::string::npos);
}

}  // namespace
}  // namespace deploy

namespace deploy {
namespace {

TEST(ProtocolTest, InspectionRoundTripsAndOldRecordsTakeDefaults) {
  guest::OsInfo os;
  os.type = "linux";
  os.distro = "debian";
  os.major = 12;
  os.mounts = {{"/", "/dev/vg0/root"}, {"/boot", "/dev/sda1"}};
  os.lvm = true;
  os.network_stacks = {guest::kNetplan, guest::kNetworkd};
  os.network_stack = guest::kNetplan;
  os.files = {{"/etc/hosts", "127.0.0.1 localhost\n"}};
  guest::OsInfo back = DecodeOsInfo(EncodeOsInfo(os));
  EXPECT_EQ(EncodeOsInfo(back), EncodeOsInfo(os));
  EXPECT_EQ(back.mounts.at(1).device, "/dev/sda1");
  // A record written before a field existed still reads.
  guest::OsInfo old = DecodeOsInfo(R"({"type": "linux", "distro": "debian"})");
  EXPECT_EQ(old.rc_local, "/etc/rc.local");
  EXPECT_TRUE(old.mounts.empty());
  EXPECT_THROW(DecodeOsInfo("{"), core::Error);
}

}  // namespace
}  // namespace deploy

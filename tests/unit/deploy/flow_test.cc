// Whole flows (deploy, status, destroy) over a real lab file and roster,
// with fakes only (deploy::Env): the hypervisor, the appliance, the disks
// and in-process workers. No libvirt, no qemu-img, in milliseconds.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/names.h"
#include "deploy/operations.h"
#include "deploy/status.h"
#include "deploy/vm_actions.h"
#include "fakes/fake_env.h"
#include "schedule/policy_json.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLab = R"(lab: netlab
description: Two hosts on one private network
images:
  - name: tiny
    file: tiny.qcow2
    format: qcow2
    kernel: tiny.vmlinuz
    initrd: tiny.initrd
    cmdline: "root=/dev/vda rw console=ttyS0 quiet"
networks:
  - name: lan
    cidr: 10.10.0.0/24
vms:
  - name: router
    image: tiny
    memory: 256M
    vcpus: 1
    hostname: "{vm}-{owner}"
    nics:
      - network: lan
        ip: 10.10.0.1
    commands:
      - 'echo "router for {owner}" > /etc/motd'
  - name: client
    image: tiny
    memory: 256M
    vcpus: 1
    hostname: "{vm}-{owner}"
    nics:
      - network: lan
        ip: 10.10.0.10
)";

constexpr const char* kRoster =
    "username,full_name,group\n"
    "alice,Alice Martin,lab-a\n"
    "bob,Bob Chen,lab-b\n"
    "carol,\"Smith, Carol\",lab-a\n";

class FlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    context_.state_dir = dir_ + "/state";
    context_.image_dir = dir_ + "/images";
    context_.jobs = 1;
    context_.uid = 0;
    context_.actor = "instructor";
    fs::create_directories(context_.image_dir);
    for (const char* file : {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd"}) {
      std::ofstream(context_.image_dir + "/" + file) << "tiny " << file;
    }
    lab_file_ = dir_ + "/netlab.yaml";
    std::ofstream(lab_file_) << kLab;
    std::ofstream(dir_ + "/roster.csv") << kRoster;
    request_.lab_file = lab_file_;
    request_.roster_file = dir_ + "/roster.csv";
  }
  void TearDown() override {
    fs::permissions(context_.image_dir + "/tiny.qcow2", fs::perms::owner_write,
                    fs::perm_options::add);
  }

  bool RunDeploy(std::string* text) {
    std::ostringstream out;
    bool ok = Deploy(context_, fake_.env, request_, out);
    *text = out.str();
    return ok;
  }

  // domain -> phase, from `worlds status`.
  std::map<std::string, std::string> Phases(std::map<std::string, std::string>* recorded = nullptr) {
    std::map<std::string, std::string> phases;
    for (const VmStatus& vm : Status(context_, fake_.env, {}).vms) {
      phases[vm.domain] = vm.phase;
      if (recorded) (*recorded)[vm.domain] = vm.recorded;
    }
    return phases;
  }

  static int Count(const std::map<std::string, std::string>& phases, const std::string& phase) {
    int n = 0;
    for (const auto& [domain, p] : phases) n += p == phase;
    return n;
  }

  std::string Overlay(const std::string& owner, const std::string& vm) {
    return core::OverlayPath(context_.state_dir, "netlab", owner, vm);
  }

  support::TempDir temp_{"worlds-flow-"};
  std::string dir_, lab_file_;
  Context context_;
  DeployRequest request_;
  fakes::FakeEnv fake_;
};

// A host check that fails (QEMU cannot reach the state dir) stops the
// deploy before anything exists: no state dir, no state.db, no domain.
TEST_F(FlowTest, FailedHostCheckCreatesNothing) {
  fake_.env.check_host = [] {
    throw core::Error("QEMU cannot enter /x", "/x", "chmod o+x /x");
  };
  std::string text;
  EXPECT_THROW(RunDeploy(&text), core::Error);
  EXPECT_FALSE(fs::exists(context_.state_dir));
  EXPECT_TRUE(fake_.hypervisor.domains.empty());
}

// The broker enforces the schedule as deployed: a deploy records it, and a
// deploy of the file without it records that the lab is always open again.
TEST_F(FlowTest, DeployRecordsTheLabsScheduleAsDeployed) {
  std::ofstream(lab_file_) << kLab
                           << "schedule:\n  timezone: Europe/Berlin\n"
                              "  windows: [{days: [mon], from: \"09:00\", to: \"12:00\"}]\n"
                              "idle-shutdown: {after: 20}\n";
  std::string text;
  ASSERT_TRUE(RunDeploy(&text)) << text;
  auto store = store::Store::Open(core::StateDbPath(context_.state_dir));
  schedule::Policy policy = schedule::DecodePolicy(store->FindLab("netlab")->policy);
  ASSERT_TRUE(policy.schedule && policy.idle);
  EXPECT_EQ(policy.schedule->timezone, "Europe/Berlin");
  ASSERT_EQ(policy.schedule->windows.size(), 1u);
  EXPECT_EQ(policy.schedule->windows[0].from, 9 * 60);
  EXPECT_EQ(policy.idle->after_minutes, 20);
  std::ofstream(lab_file_) << kLab;
  ASSERT_TRUE(RunDeploy(&text)) << text;
  EXPECT_EQ(store->FindLab("netlab")->policy, "");
}

// The acceptance test of issue 11: deploy, kill, re-run, converge.
TEST_F(FlowTest, DeployKilledPartWayThenReRunConvergesAndDestroyKeepsOverlays) {
  // The worker dies (SIGKILL) after two VMs were reported ready: the third
  // one's snapshot is taken but never reported, three domains have no `clean`.
  fake_.workers.KillAfter(2, "ready");
  std::string text;
  EXPECT_FALSE(RunDeploy(&text));
  EXPECT_NE(text.find("Deploying lab 'netlab' to 3 World(s): 6 VM(s) to build, 0 to "
                      "re-define over kept overlays, 0 up to date; 1 job(s), accel qemu\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Deployed with failures: 3 World(s), 6 VM(s): 2 built now, 0 already "
                      "up to date, 4 failed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" (worker): worker 0 was killed by signal 9 (Killed) (see " +
                      context_.state_dir + "/logs/deploy-1/worker-0.log)\n"),
            std::string::npos)
      << text;

  // Status tells the truth, not the store's last word.
  std::map<std::string, std::string> recorded;
  std::map<std::string, std::string> phases = Phases(&recorded);
  ASSERT_EQ(phases.size(), 6u);
  EXPECT_EQ(Count(phases, "ready"), 3) << "two reported, one snapshotted unreported";
  EXPECT_EQ(Count(phases, "incomplete"), 3);
  int ready_but_recorded_defined = 0;
  for (const auto& [domain, phase] : phases) {
    ready_but_recorded_defined += phase == "ready" && recorded[domain] == "defined";
    if (phase == "incomplete") {
      EXPECT_TRUE(fake_.hypervisor.domains.count(domain)) << domain;
      EXPECT_TRUE(fake_.hypervisor.domains.at(domain).snapshots.empty()) << domain;
    }
  }
  EXPECT_EQ(ready_but_recorded_defined, 1);

  // The re-run builds exactly what is missing and converges.
  fake_.workers.KillAfter(-1);
  EXPECT_TRUE(RunDeploy(&text)) << text;
  EXPECT_NE(text.find("to 3 World(s): 3 VM(s) to build, 0 to re-define over kept overlays, "
                      "3 up to date;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Deployed 3 World(s), 6 VM(s): 3 built now, 3 already up to date, 0 "
                      "failed"),
            std::string::npos)
      << text;
  phases = Phases(&recorded);
  EXPECT_EQ(Count(phases, "ready"), 6);
  EXPECT_EQ(Count(recorded, "ready"), 6) << "the store converged too";
  EXPECT_EQ(fake_.hypervisor.networks.size(), 3u);
  for (const auto& [name, domain] : fake_.hypervisor.domains) {
    EXPECT_EQ(domain.snapshots, std::vector<std::string>{"clean"}) << name;
  }

  // A third run has nothing to do and launches no worker.
  int launched = fake_.workers.launched();
  EXPECT_TRUE(RunDeploy(&text));
  EXPECT_NE(text.find("Nothing to do: 3 World(s), 6 VM(s) already deployed"), std::string::npos)
      << text;
  EXPECT_EQ(fake_.workers.launched(), launched);
  EXPECT_EQ(fake_.inspected.size(), 1u) << "the base is inspected once, then remembered";

  // Destroy keeps the students' overlays; a new deploy re-defines over them.
  std::ostringstream out;
  Destroy(context_, fake_.env, {lab_file_, std::nullopt, false}, out);
  EXPECT_EQ(out.str(),
            "Destroyed lab 'netlab' for 3 World(s): 6 domain(s), 3 network(s) removed.\n"
            "Kept 6 student overlay(s) under " + context_.state_dir +
                "/worlds/netlab (a new deploy picks them up; --delete-student-data deletes "
                "them).\n");
  EXPECT_TRUE(fake_.hypervisor.domains.empty());
  EXPECT_TRUE(fake_.hypervisor.networks.empty());
  for (const char* owner : {"alice", "bob", "carol"}) {
    EXPECT_EQ(std::count(fake_.hypervisor.calls.begin(), fake_.hypervisor.calls.end(),
                         std::string("RemovePartition /machine/worlds/netlab_") + owner),
              1)
        << owner;
  }
  EXPECT_TRUE(fs::exists(Overlay("bob", "client")));
  EXPECT_TRUE(Status(context_, fake_.env, {}).vms.empty());

  EXPECT_TRUE(RunDeploy(&text)) << text;
  EXPECT_NE(text.find("0 VM(s) to build, 6 to re-define over kept overlays, 0 up to date"),
            std::string::npos)
      << text;
  EXPECT_EQ(Count(Phases(), "ready"), 6);

  out.str("");
  Destroy(context_, fake_.env, {"netlab", std::nullopt, true}, out);
  EXPECT_NE(out.str().find("Deleted 6 overlay(s) (--delete-student-data).\n"), std::string::npos)
      << out.str();
  EXPECT_FALSE(fs::exists(core::OverlayDir(context_.state_dir, "netlab", "alice")));
}

// A VM whose customization fails is reported (deploy returns false: exit 1)
// and left undefined; the others are ready; a re-run builds only it.
TEST_F(FlowTest, FailedCustomizationIsReportedAndReRunBuildsOnlyThatVm) {
  fake_.customizer.FailDisk(Overlay("bob", "client"), "no /etc in this disk");
  std::string text;
  EXPECT_FALSE(RunDeploy(&text));
  EXPECT_NE(text.find("  FAILED w-netlab-bob-client (customize): no /etc in this disk\n"),
            std::string::npos)
      << text;
  std::map<std::string, std::string> phases = Phases();
  EXPECT_EQ(Count(phases, "ready"), 5);
  EXPECT_EQ(phases["w-netlab-bob-client"], "incomplete");
  EXPECT_FALSE(fake_.hypervisor.domains.count("w-netlab-bob-client"));
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context_.state_dir));
  std::vector<store::Event> events = store->Events({});
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "deploy");
  EXPECT_EQ(events.back().result, "error");
  EXPECT_EQ(events.back().detail, "5 VM(s) built, 1 failed");

  fake_.customizer.FailDisk(Overlay("bob", "client"), "");
  EXPECT_TRUE(RunDeploy(&text)) << text;
  EXPECT_NE(text.find("1 VM(s) to build, 0 to re-define over kept overlays, 5 up to date"),
            std::string::npos)
      << text;
  EXPECT_EQ(Count(Phases(), "ready"), 6);
}

// An overlay that cannot be read is never rebuilt over: the deploy reports
// that VM failed with the reason, status says "unreadable", the file stays.
TEST_F(FlowTest, UnreadableOverlayIsReportedNotRebuilt) {
  std::string text;
  ASSERT_TRUE(RunDeploy(&text)) << text;
  std::string overlay = Overlay("carol", "router");
  fake_.hypervisor.domains.erase("w-netlab-carol-router");
  fakes::FakeDisks::Corrupt(overlay);
  size_t before = fake_.disks->calls().size();
  EXPECT_FALSE(RunDeploy(&text));
  EXPECT_NE(text.find("0 VM(s) to build, 0 to re-define over kept overlays, 5 up to date; 1 "
                      "left alone (its overlay or lab host cannot be read); 1 job(s)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  FAILED w-netlab-carol-router (plan): its overlay " + overlay +
                      " cannot be read ("),
            std::string::npos)
      << text;
  EXPECT_EQ(Phases()["w-netlab-carol-router"], "unreadable");
  std::vector<std::string> calls = fake_.disks->calls();
  for (size_t i = before; i < calls.size(); ++i) {
    const std::string& call = calls[i];
    EXPECT_NE(call, "Remove " + overlay);
    EXPECT_NE(call, "CreateOverlay " + overlay);
  }
  std::ifstream file(overlay);
  std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "QFI\xfb half-written");
}

// Issue 11: a student's revert while a deploy changes their World is
// refused, naming the deploy, and never interleaves with it; once the
// deploy is over the same revert goes through.
TEST_F(FlowTest, StudentRevertDuringADeployOfTheirWorldIsRefusedThenWorksAfter) {
  fake_.workers.KillAfter(2, "ready");
  std::string text;
  EXPECT_FALSE(RunDeploy(&text));
  fake_.workers.KillAfter(-1);

  // A VM the first run finished, running (the student uses it).
  std::optional<store::VmRecord> target;
  for (const store::VmRecord& vm :
       store::Store::Open(core::StateDbPath(context_.state_dir))->Vms("netlab", std::nullopt)) {
    auto it = fake_.hypervisor.domains.find(vm.domain);
    if (it != fake_.hypervisor.domains.end() && !it->second.snapshots.empty()) target = vm;
  }
  ASSERT_TRUE(target);
  fake_.hypervisor.domains[target->domain].state = virt::DomainState::kRunning;

  std::vector<store::Event> events;
  VmActions actions(context_.state_dir, fake_.hypervisor,
                    [&](const store::Event& event) { events.push_back(event); }, Admission{});
  const Actor student{1000, target->owner, Spelling::kProtocol};
  // The re-run's worker launch happens with the deploy's locks held: the
  // student's revert is tried right there.
  std::vector<VmOutcome> during;
  WorkerLauncher launch = fake_.env.launch_worker;
  fake_.env.launch_worker = [&](const Batch& batch, const std::string& log) {
    during.push_back(actions.Run(VmOp::kRevert, *target, student));
    return launch(batch, log);
  };
  EXPECT_TRUE(RunDeploy(&text)) << text;
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0].result, "refused");
  EXPECT_EQ(during[0].detail, "the World of '" + target->owner +
                                  "' in lab 'netlab' is being changed by pid " +
                                  std::to_string(::getpid()) +
                                  ": worlds deploy; try again when it finishes");
  EXPECT_EQ(fake_.hypervisor.domains[target->domain].state, virt::DomainState::kRunning)
      << "not reverted";

  VmOutcome after = actions.Run(VmOp::kRevert, *target, student);
  EXPECT_EQ(after.result, "ok") << after.detail;
  EXPECT_EQ(after.detail, "reverted to clean (was running)");
  EXPECT_EQ(fake_.hypervisor.domains[target->domain].state, virt::DomainState::kShutOff);
  ASSERT_EQ(events.size(), 2u) << "one events row per action";
  EXPECT_EQ(events[0].action + " " + events[0].result, "revert refused");
  EXPECT_EQ(events[1].action + " " + events[1].result, "revert ok");
  EXPECT_EQ(events[1].actor, target->owner);
}

}  // namespace
}  // namespace deploy

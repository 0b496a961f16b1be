#include "deploy/executor.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/names.h"
#include "fakes/fake_env.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

// A plan of `owners` Worlds of one VM each, over a (fake) base image.
Plan OneVmPerWorld(const std::string& state, const std::vector<std::string>& owners) {
  core::Lab lab;
  lab.name = "lab";
  core::BaseImage image;
  image.name = "tiny";
  image.path = state + "/tiny.qcow2";
  lab.images.push_back(image);
  std::ofstream(image.path) << "base";
  core::LabVm vm;
  vm.name = "a";
  vm.image = "tiny";
  vm.hostname_pattern = "{vm}-{owner}";
  lab.vms.push_back(vm);
  std::vector<core::World> worlds;
  int index = 1;
  for (const std::string& owner : owners) worlds.push_back({"lab", owner, index++});
  return DesiredPlan(lab, worlds, {state, "qemu"});
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    store_ = store::Store::Open(dir_ + "/state.db");
    store_->UpsertLab("lab", "lab.yaml", "");
    for (const char* owner : {"alice", "bob", "carol"}) store_->UpsertWorld("lab", owner, 1);
  }
  void TearDown() override { store_.reset(); }

  ExecOptions Options(int jobs) {
    ExecOptions options;
    options.jobs = jobs;
    options.log_dir = dir_ + "/logs";
    return options;
  }

  support::TempDir temp_{"worlds-executor-test-"};
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  fakes::FakeEnv fake_;
};

TEST_F(ExecutorTest, InProcessWorkersBuildEveryVm) {
  Plan plan = OneVmPerWorld(dir_, {"alice", "bob", "carol"});
  std::ostringstream out;
  Summary summary = Execute(plan, Options(2), fake_.env, *store_, out);
  EXPECT_TRUE(summary.ok()) << summary.failures[0];
  EXPECT_EQ(summary.done, 3);
  EXPECT_EQ(summary.workers, 2);
  EXPECT_EQ(fake_.workers.launched(), 2);
  for (const store::VmRecord& vm : store_->Vms("lab", std::nullopt)) {
    EXPECT_EQ(vm.phase, store::VmPhase::kReady) << vm.domain;
    EXPECT_TRUE(fake_.disks->HasClean(vm.overlay)) << vm.overlay;
  }
}

// The crash of issue 11: the second worker cannot start while the first
// one's reader thread runs. Its VMs fail; the first batch completes; the
// process goes on (no std::terminate from a joinable thread).
TEST_F(ExecutorTest, SecondWorkerThatCannotStartFailsOnlyItsBatch) {
  Plan plan = OneVmPerWorld(dir_, {"alice", "bob", "carol"});
  fake_.workers.FailStart(1, "Resource temporarily unavailable");
  std::ostringstream out;
  Summary summary = Execute(plan, Options(3), fake_.env, *store_, out);
  EXPECT_EQ(summary.workers, 3);
  EXPECT_EQ(summary.done, 2);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0],
            "w-lab-bob-a (worker): in-process: cannot start a worker: Resource temporarily "
            "unavailable");
  EXPECT_NE(out.str().find("w-lab-bob-a"), std::string::npos) << out.str();
}

// The real launcher, with a program that cannot be run: the same report.
TEST_F(ExecutorTest, WorkerProgramThatCannotRunFailsItsVmsNotTheRun) {
  Plan plan = OneVmPerWorld(dir_, {"alice", "bob", "carol"});
  Env env = fake_.env;
  env.launch_worker = ProcessWorkerLauncher(dir_ + "/no-such-worlds");
  std::ostringstream out;
  Summary summary = Execute(plan, Options(3), env, *store_, out);
  EXPECT_EQ(summary.workers, 3);
  ASSERT_EQ(summary.failures.size(), 3u);
  EXPECT_EQ(summary.failures[0].rfind("w-lab-alice-a (worker): " + dir_ +
                                          "/no-such-worlds: cannot start a worker: ",
                                      0),
            0u)
      << summary.failures[0];
  EXPECT_NE(summary.failures[0].find("(check that it is the worlds binary and executable)"),
            std::string::npos)
      << summary.failures[0];
  EXPECT_FALSE(summary.ok());
}

// A worker killed part-way (SIGKILL): the VMs it did not finish are its
// failures, named with the signal; the others are recorded ready.
TEST_F(ExecutorTest, KilledWorkerFailsWhatItLeft) {
  Plan plan = OneVmPerWorld(dir_, {"alice", "bob"});
  fake_.workers.KillAfter(2);  // after alice's "overlay" and bob's
  std::ostringstream out;
  Summary summary = Execute(plan, Options(1), fake_.env, *store_, out);
  ASSERT_EQ(summary.failures.size(), 2u);
  EXPECT_EQ(summary.failures[0],
            "w-lab-alice-a (worker): worker 0 was killed by signal 9 (Killed) (see " + dir_ +
                "/logs/worker-0.log)");
  EXPECT_EQ(store_->Vms("lab", std::string("alice")).at(0).phase, store::VmPhase::kOverlay);
}

// A VM the plan refused (unreadable overlay) is a failure with its reason,
// and no worker touches it.
TEST_F(ExecutorTest, RefusedVmIsAFailureAndNotSentToAWorker) {
  Plan plan = OneVmPerWorld(dir_, {"alice", "bob"});
  plan.worlds[0].vms[0].action = VmAction::kRefused;
  plan.worlds[0].vms[0].change = "its overlay cannot be read";
  std::ostringstream out;
  Summary summary = Execute(plan, Options(2), fake_.env, *store_, out);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0], "w-lab-alice-a (plan): its overlay cannot be read");
  EXPECT_EQ(summary.workers, 1);
  EXPECT_EQ(summary.done, 1);
  for (const std::string& call : fake_.disks->calls()) {
    EXPECT_EQ(call.find("alice"), std::string::npos) << call;
  }
}

}  // namespace
}  // namespace deploy

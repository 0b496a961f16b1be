// Interrupted deploys, reverts and destroys: a process SIGKILLed at a chosen
// step (WORLDS_FAILPOINT), a worker killed, libvirtd restarted. After each
// fault `worlds status` must tell the truth and the store must be intact;
// a re-run converges to exactly the full deployment.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>
#include <thread>

#include "integration/fault_fixture.h"

namespace {

using it::FaultTest;
using it::Outcome;

class KillWorkerTest : public FaultTest {
protected:
  std::string Name() const override { return "faultk"; }
};

// A worker killed from outside (the OOM killer): two workers, one World
// each; only the killed worker's World fails.
TEST_F(KillWorkerTest, KilledWorkerFailsItsWorldOnlyAndReRunConverges) {
  std::vector<std::string> args =
      Global({"deploy", lab_file_, "--roster", roster_, "--jobs", "2"});
  args.insert(args.begin(), WORLDS_BINARY);
  process::Child child = process::Spawn(args, {"/dev/null"});
  child.CloseStdin();  // the deploy reads no input
  std::vector<pid_t> workers;
  // The deploy inspects the base first (an appliance launch), then starts
  // its workers. A worker's own forks (qemu-img, libguestfs's recovery
  // process) share its command line, so only the deploy's children count.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (std::chrono::steady_clock::now() < deadline && workers.size() < 2) {
    workers.clear();
    for (pid_t pid : it::ProcessesNamed("worlds")) {
      if (it::ParentOf(pid) == child.pid() &&
          it::CommandLine(pid).find(" __worker " + std::to_string(child.pid()) +
                                    " ") != std::string::npos) {
        workers.push_back(pid);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(workers.size(), 2u);
  std::this_thread::sleep_for(std::chrono::seconds(3)); // inside its appliance
  ::kill(workers[0], SIGKILL);
  std::string text;
  while (std::optional<std::string> line = child.ReadLine())
    text += *line + "\n";
  process::Status status = child.Wait();
  EXPECT_EQ(status.exit_code, 1) << text;
  EXPECT_TRUE(std::regex_search(
      text, std::regex("\\(worker\\): worker [01] was killed by "
                       "signal 9 \\(Killed\\) \\(see ")))
      << text;
  std::string summary = ExpectStatusTruthful("worker killed from outside");
  // One World failed (its two VMs), the other is complete.
  size_t failed = 0;
  for (size_t at = 0; (at = text.find("\n  FAILED ", at)) != std::string::npos;
       ++at) {
    ++failed;
  }
  EXPECT_EQ(failed, 2u) << text;
  bool alice_failed = text.find("alice-router (worker)") != std::string::npos;
  std::string other = alice_failed ? "bob" : "alice";
  EXPECT_NE(summary.find(other + "-router=ready"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find(other + "-client=ready"), std::string::npos)
      << summary;
  ExpectStoreIntact("worker killed from outside");

  Outcome rerun = DeployWith("");
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("2 VM(s) to build"), std::string::npos) << rerun.out;
  ExpectConverged();
}

class FaultAdminTest : public FaultTest {
protected:
  std::string Name() const override { return "faulta"; }

  int Count(const std::string &text, const std::string &what) {
    int n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; ++at)
      ++n;
    return n;
  }
};

// `revert --all` and `destroy` killed after their second VM: nothing is
// lost that a re-run cannot finish, and the kernel released the state lock.
TEST_F(FaultAdminTest, KilledRevertAndDestroyLeaveTruthAndReRunsConverge) {
  Outcome deploy = DeployWith("");
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  Outcome start = RunWorlds({"start", Lab()}, "");
  ASSERT_EQ(start.code, 0) << start.out << start.err;
  for (const std::string &domain : SmallDomains())
    EXPECT_EQ(DomState(domain), "running");

  Outcome revert =
      RunWorlds({"revert", Lab(), "--all", "--jobs", "1"}, "revert-vm@2");
  std::cout << "[fault] revert-vm@2: revert " << revert.Describe() << "\n";
  EXPECT_TRUE(revert.signaled && revert.signal == SIGKILL)
      << revert.Describe() << revert.out << revert.err;
  EXPECT_NE(revert.err.find("failpoint revert-vm: killing pid"),
            std::string::npos);
  ExpectNoLeftovers(revert.pid);
  std::string summary = ExpectStatusTruthful("revert-vm@2");
  EXPECT_EQ(Count(summary, "=ready(ready)"), 4)
      << "a revert removes nothing: " << summary;
  int shut_off = 0;
  for (const std::string &domain : SmallDomains())
    shut_off += DomState(domain) == "shut off";
  EXPECT_EQ(shut_off, 2) << "killed after its second VM (one job)";
  ExpectStoreIntact("revert-vm@2");

  Outcome again = RunWorlds({"revert", Lab(), "--all"}, "");
  EXPECT_EQ(again.code, 0) << "not refused by the killed revert's lock: "
                           << again.out << again.err;
  EXPECT_NE(
      again.out.find("Reverted 4/4 VM(s) of lab '" + Lab() + "' to clean"),
      std::string::npos)
      << again.out;
  for (const std::string &domain : SmallDomains()) {
    EXPECT_EQ(DomState(domain), "shut off") << domain;
    EXPECT_TRUE(HasClean(domain)) << domain;
  }
  ExpectStatusTruthful("revert re-run");

  Outcome destroy = RunWorlds({"destroy", lab_file_}, "destroy-domain@2");
  std::cout << "[fault] destroy-domain@2: destroy " << destroy.Describe()
            << "\n";
  EXPECT_TRUE(destroy.signaled && destroy.signal == SIGKILL)
      << destroy.Describe() << destroy.out << destroy.err;
  EXPECT_NE(destroy.err.find("failpoint destroy-domain: killing pid"),
            std::string::npos);
  ExpectNoLeftovers(destroy.pid);
  summary = ExpectStatusTruthful("destroy-domain@2");
  EXPECT_EQ(Domains().size(), 2u);
  EXPECT_EQ(Count(summary, "=kept-overlay("), 2) << summary;
  EXPECT_EQ(Count(summary, "=ready("), 2) << summary;
  ExpectStoreIntact("destroy-domain@2");

  Outcome destroy_again = RunWorlds({"destroy", lab_file_}, "");
  EXPECT_EQ(destroy_again.code, 0) << destroy_again.out << destroy_again.err;
  EXPECT_NE(destroy_again.out.find("Kept 4 student overlay(s)"),
            std::string::npos)
      << destroy_again.out;
  EXPECT_TRUE(Domains().empty());
  EXPECT_TRUE(Networks().empty());
  for (const char *user : it::kFaultUsers) {
    for (const char *vm : it::kVms)
      EXPECT_TRUE(std::filesystem::exists(Overlay(user, vm)));
  }
  EXPECT_EQ(ExpectStatusTruthful("destroy re-run"), "");
  ExpectStoreIntact("destroy re-run");

  Outcome adopt = DeployWith("");
  ASSERT_EQ(adopt.code, 0) << adopt.out << adopt.err;
  EXPECT_NE(
      adopt.out.find("0 VM(s) to build, 4 to re-define over kept overlays"),
      std::string::npos)
      << adopt.out;
  ExpectConverged();
}

class FaultLibvirtdTest : public FaultTest {
protected:
  std::string Name() const override { return "faultl"; }

  // Other integration tests on this machine lose their connection when
  // libvirtd restarts: wait (up to 10 min) until this is the only one.
  void WaitUntilAlone() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    for (;;) {
      std::vector<pid_t> others;
      for (pid_t pid : it::ProcessesNamed("integration_tests")) {
        if (pid != ::getpid())
          others.push_back(pid);
      }
      if (others.empty())
        return;
      if (std::chrono::steady_clock::now() > deadline) {
        std::cout << "[fault] other integration_tests still run (pid "
                  << others[0] << "); restarting libvirtd anyway\n";
        return;
      }
      std::this_thread::sleep_for(std::chrono::seconds(5));
    }
  }

  bool LibvirtAnswers() {
    return it::Exec({"virsh", "-q", "-c", "qemu:///system", "version"}).code ==
           0;
  }
};

// libvirtd restarted while a worker defines domains and customizes disks:
// the deploy ends (no hang) and fails the VMs it could not finish, naming
// libvirt's error; a re-run converges.
TEST_F(FaultLibvirtdTest, DeployEndsAndReRunConverges) {
  IT_REQUIRE(!it::ProcessesNamed("libvirtd").empty(),
             "libvirtd running as a process");
  WaitUntilAlone();
  std::string out_path = dir_ + "/deploy.out";
  std::vector<std::string> argv =
      Global({"deploy", lab_file_, "--roster", roster_, "--jobs", "1"});
  argv.insert(argv.begin(), WORLDS_BINARY);
  process::Child child = process::Spawn(argv, {out_path + ".err"});
  child.CloseStdin();  // the deploy reads no input
  it::OutputReader out(child);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && Domains().empty() &&
         it::Running(child)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(Domains().empty()) << "no domain defined in 120 s";
  ASSERT_TRUE(it::Running(child))
      << "deploy ended before libvirtd could be restarted";
  for (pid_t pid : it::ProcessesNamed("libvirtd"))
    ::kill(pid, SIGTERM);
  auto gone = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!it::ProcessesNamed("libvirtd").empty() &&
         std::chrono::steady_clock::now() < gone) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (it::ProcessesNamed("virtlogd").empty())
    it::Exec({"virtlogd", "-d"});
  if (it::ProcessesNamed("libvirtd").empty())
    it::Exec({"libvirtd", "-d"});
  auto up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!LibvirtAnswers() && std::chrono::steady_clock::now() < up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(LibvirtAnswers()) << "libvirtd did not come back";

  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (it::Running(child) && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  bool hung = it::Running(child);
  if (hung)
    child.Kill(SIGKILL);
  std::string text = out.Finish();
  process::Status status = child.Wait();
  text += it::ReadFile(out_path + ".err");
  std::string how = status.signal != 0
                        ? "killed by signal " + std::to_string(status.signal)
                        : "exit " + std::to_string(status.exit_code);
  std::cout << "[fault] libvirtd restart: deploy " << how << "\n" << text;
  ASSERT_FALSE(hung) << "deploy hung after libvirtd restarted:\n" << text;
  ASSERT_TRUE(status.signal == 0) << how << "\n" << text;
  EXPECT_TRUE(status.exit_code == 0 || status.exit_code == 1)
      << how << "\n"
      << text;
  if (status.exit_code == 1) {
    // Each failed VM is named with libvirt's reason, not a dead worker.
    EXPECT_NE(text.find("  FAILED w-" + Lab() + "-"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("(worker): worker"), std::string::npos) << text;
  }
  ExpectNoLeftovers(child.pid());
  ExpectStatusTruthful("after libvirtd restart");
  ExpectStoreIntact("after libvirtd restart");

  Outcome rerun = DeployWith("");
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  ExpectConverged();
}

} // namespace

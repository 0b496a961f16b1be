#include "deploy/actions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/names.h"
#include "deploy/lock.h"
#include "fakes/fake_hypervisor.h"
#include "fakes/shared_fakes.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_.state_dir = dir_.path();
    context_.uid = 0;
    context_.actor = "root";
    context_.jobs = 4;
    store_ = store::Store::Open(core::StateDbPath(context_.state_dir));
    for (const char* lab : {"netlab", "weblab"}) {
      store_->UpsertLab(lab, "", "");
      int index = 1;
      for (const char* owner : {"alice", "bob", "carol"}) {
        store_->UpsertWorld(lab, owner, index++);
        for (const char* vm : {"router", "client"}) {
          std::string domain = core::DomainName(lab, owner, vm);
          store_->SetVm({lab, owner, vm, domain, "", store::VmPhase::kReady, ""});
          fake_.domains[domain].spec.name = domain;
          fake_.domains[domain].snapshots = {"clean"};
        }
      }
    }
    connect_ = [this] { ++connections_; return std::make_unique<fakes::SharedHypervisor>(fake_, mu_); };
  }
  void TearDown() override { store_.reset(); }

  bool Run(AdminAction action, ActionRequest request) {
    out_.str("");
    totals_ = RunVmAction(context_, *store_, [this](const std::string&) { return connect_(); }, action, request, out_);
    return totals_.AllOk();
  }

  std::vector<std::string> Calls(const std::string& prefix) {
    std::vector<std::string> calls;
    for (const std::string& call : fake_.calls) {
      if (call.rfind(prefix, 0) == 0) calls.push_back(call);
    }
    std::sort(calls.begin(), calls.end());  // threads finish in any order
    return calls;
  }

  std::string Error(AdminAction action, ActionRequest request) {
    return support::ErrorText([&] { Run(action, request); });
  }

  support::TempDir dir_{"worlds-actions-"};
  Context context_;
  std::unique_ptr<store::Store> store_;
  fakes::FakeHypervisor fake_;
  std::mutex mu_;
  int connections_ = 0;
  HypervisorFactory connect_;
  std::ostringstream out_;
  ActionTotals totals_;
};

TEST_F(ActionsTest, RevertOneVmOfOneOwner) {
  fake_.domains["w-netlab-alice-router"].state = virt::DomainState::kRunning;
  context_.jobs = 1;
  ActionRequest request{"netlab", std::string("alice"), std::string("router")};
  EXPECT_TRUE(Run(AdminAction::kRevert, request));
  EXPECT_EQ(Calls("Revert"), (std::vector<std::string>{"RevertToSnapshot w-netlab-alice-router clean"}));
  EXPECT_EQ(fake_.domains["w-netlab-alice-router"].state, virt::DomainState::kShutOff);
  std::string out = out_.str();
  EXPECT_NE(out.find("[revert] 1/1 w-netlab-alice-router: reverted to clean (was running) ("),
            std::string::npos)
      << out;
  EXPECT_EQ(out.substr(out.find("Reverted")).substr(0, 47),
            "Reverted 1/1 VM(s) of lab 'netlab' to clean in ");
  EXPECT_NE(out.find("s (1 job(s)).\n"), std::string::npos) << out;
  std::vector<store::Event> events = store_->Events({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].uid, 0);
  EXPECT_EQ(events[0].actor, "root");
  EXPECT_EQ(events[0].action, "revert");
  EXPECT_EQ(events[0].target, "w-netlab-alice-router");
  EXPECT_EQ(events[0].result, "ok");
  EXPECT_EQ(events[0].detail, "reverted to clean (was running)");
}

TEST_F(ActionsTest, RevertAllRevertsEveryVmOfTheLabOnlyInParallel) {
  EXPECT_TRUE(Run(AdminAction::kRevert, ActionRequest{"netlab", std::nullopt, std::nullopt, true}));
  std::vector<std::string> expected;
  for (const char* owner : {"alice", "bob", "carol"}) {
    for (const char* vm : {"client", "router"}) {
      expected.push_back("RevertToSnapshot w-netlab-" + std::string(owner) + "-" + vm + " clean");
    }
  }
  EXPECT_EQ(Calls("Revert"), expected) << "weblab is untouched";
  // A job connects when it takes its first VM: at most one connection per
  // job (a job that found no VM left opened none).
  EXPECT_GE(connections_, 1);
  EXPECT_LE(connections_, 4) << "at most one connection per job";
  EXPECT_EQ(store_->Events({}).size(), 6u);
  EXPECT_NE(out_.str().find("Reverted 6/6 VM(s) of lab 'netlab' to clean in "), std::string::npos);
  EXPECT_NE(out_.str().find(" (4 job(s)).\n"), std::string::npos);
}

// Each job its own connection, not serialized with the others: the fake is
// thread-safe like libvirt, so only the admission lock can keep two starts
// from both passing the budget.
class AdmissionTest : public ActionsTest {
 protected:
  void SetUp() override {
    ActionsTest::SetUp();
    connect_ = [this] {
      std::lock_guard<std::mutex> hold(mu_);
      own_mus_.push_back(std::make_unique<std::mutex>());
      return std::make_unique<fakes::SharedHypervisor>(fake_, *own_mus_.back());
    };
    // Every VM has 256 MiB (DomainSpec's default); the host 8 GiB.
    fake_.after_usage = [] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };
  }

  std::vector<store::Event> Refused() {
    std::vector<store::Event> refused;
    for (const store::Event& e : store_->Events({})) {
      if (e.result == "refused") refused.push_back(e);
    }
    return refused;
  }

  int Running() {
    int running = 0;
    for (const auto& [name, dom] : fake_.domains) running += dom.state == virt::DomainState::kRunning;
    return running;
  }

  std::vector<std::unique_ptr<std::mutex>> own_mus_;
};

TEST_F(AdmissionTest, ConcurrentStartsCannotAllPassTheMemoryBudget) {
  ASSERT_EQ(capacity::ParseMemoryBudget("600", &context_.capacity.budget), "");
  ActionRequest all{"netlab", std::nullopt, std::nullopt, true};
  EXPECT_FALSE(Run(AdminAction::kStart, all));
  EXPECT_EQ(Running(), 2) << "600 MiB holds two VMs of 256 MiB, four jobs or not";
  EXPECT_EQ(totals_.ok, 2);
  std::vector<store::Event> refused = Refused();
  ASSERT_EQ(refused.size(), 4u);
  EXPECT_EQ(refused[0].action, "start");
  EXPECT_EQ(refused[0].detail,
            "the lab host is full: 256 MiB needed, 88 MiB free; try again later or ask your "
            "instructor");
  EXPECT_NE(out_.str().find("the lab host is full"), std::string::npos) << out_.str();
}

TEST_F(AdmissionTest, OtherDomainsOnTheHostCountToo) {
  ASSERT_EQ(capacity::ParseMemoryBudget("600", &context_.capacity.budget), "");
  fake_.domains["not-worlds"].spec.memory_mib = 512;
  fake_.domains["not-worlds"].state = virt::DomainState::kRunning;
  EXPECT_FALSE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("alice"),
                                                      std::string("router")}));
  EXPECT_EQ(fake_.domains["w-netlab-alice-router"].state, virt::DomainState::kShutOff);
}

TEST_F(AdmissionTest, PerStudentLimitCountsTheOwnersVmsInEveryLab) {
  ASSERT_EQ(capacity::ParseMaxRunning("2", &context_.capacity.budget), "");
  fake_.domains["w-weblab-alice-router"].state = virt::DomainState::kRunning;
  EXPECT_FALSE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("alice"),
                                                      std::nullopt}));
  EXPECT_EQ(totals_.ok, 1) << "one in weblab, one in netlab: the limit";
  std::vector<store::Event> refused = Refused();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].detail,
            "you have 2 VM(s) running, the most one student may run at once (2); stop one of "
            "them first");
  EXPECT_TRUE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("bob"), std::nullopt}))
      << "bob's limit is his own";
}

TEST_F(AdmissionTest, AStartInFlightCountsAndADeadOnesReservationIsDropped) {
  ASSERT_EQ(capacity::ParseMemoryBudget("300", &context_.capacity.budget), "");
  std::string dir = context_.state_dir + "/admission";
  std::filesystem::create_directories(dir);
  // Another process is starting bob's router (its flock held, here by a
  // descriptor of this process): alice's start does not fit beside it.
  std::string live = dir + "/w-netlab-bob-router";
  std::ofstream(live) << "256\n";
  int held = ::open(live.c_str(), O_RDONLY);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  EXPECT_FALSE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("alice"),
                                                      std::string("router")}));
  EXPECT_EQ(Refused().size(), 1u);
  // That start was killed: its reservation is stale, alice's start passes
  // and the stale file is gone.
  ::close(held);
  EXPECT_TRUE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("alice"),
                                                     std::string("router")}));
  EXPECT_FALSE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "alice's own reservation ended with her start";
}

TEST_F(AdmissionTest, AnAlreadyRunningVmIsNotCheckedAgain) {
  ASSERT_EQ(capacity::ParseMemoryBudget("256", &context_.capacity.budget), "");
  fake_.domains["w-netlab-alice-router"].state = virt::DomainState::kRunning;
  EXPECT_TRUE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("alice"),
                                                     std::string("router")}));
}

TEST_F(ActionsTest, LabFileNamesTheLab) {
  std::string file = context_.state_dir + "/weblab.yaml";
  std::ofstream(file) << "lab: weblab\n";
  EXPECT_TRUE(Run(AdminAction::kRevert, ActionRequest{file, std::string("bob")}));
  EXPECT_EQ(Calls("Revert"), (std::vector<std::string>{"RevertToSnapshot w-weblab-bob-client clean",
                                                       "RevertToSnapshot w-weblab-bob-router clean"}));
}

TEST_F(ActionsTest, UnknownNamesAreRefusedWithDidYouMean) {
  EXPECT_EQ(Error(AdminAction::kRevert, ActionRequest{"netlab", std::string("alcie")}),
            "netlab: no World owned by 'alcie' (did you mean 'alice'? known owners: alice, bob, "
            "carol)");
  EXPECT_EQ(Error(AdminAction::kStart, ActionRequest{"netlab", std::string("xavier")}),
            "netlab: no World owned by 'xavier' (known owners: alice, bob, carol)");
  EXPECT_EQ(Error(AdminAction::kStart,
                  ActionRequest{"netlab", std::string("bob"), std::string("ruoter")}),
            "netlab: no VM 'ruoter' in the World of 'bob' (did you mean 'router'? known VMs: "
            "client, router)");
  EXPECT_EQ(Error(AdminAction::kStart, ActionRequest{"netlb"}),
            "no Worlds of lab 'netlb' are deployed (did you mean 'netlab'? known labs: netlab, "
            "weblab)");
  EXPECT_EQ(Error(AdminAction::kRevert, ActionRequest{"netlab"}),
            "netlab: revert needs --owner U (one World) or --all (the whole lab) (reverting "
            "loses the students' changes, so say whose)");
  EXPECT_EQ(Error(AdminAction::kStart, ActionRequest{"Net Lab"}),
            "no lab file or lab name 'Net Lab' (give the lab's YAML file or its name)");
  EXPECT_TRUE(Calls("Revert").empty());
  EXPECT_TRUE(Calls("Start").empty());
  EXPECT_TRUE(store_->Events({}).empty());
}

TEST_F(ActionsTest, StartAndStopAreIdempotentAndStopCanForce) {
  ActionRequest alice{"netlab", std::string("alice")};
  context_.jobs = 1;
  EXPECT_TRUE(Run(AdminAction::kStart, alice));
  EXPECT_EQ(Calls("Start"), (std::vector<std::string>{"Start w-netlab-alice-client",
                                                      "Start w-netlab-alice-router"}));
  EXPECT_TRUE(Run(AdminAction::kStart, alice));
  EXPECT_NE(out_.str().find("w-netlab-alice-client: already running"), std::string::npos);
  EXPECT_EQ(Calls("Start").size(), 2u);

  ActionRequest router{"netlab", std::string("alice"), std::string("router")};
  EXPECT_TRUE(Run(AdminAction::kStop, router));
  EXPECT_EQ(Calls("Shutdown"), (std::vector<std::string>{"Shutdown w-netlab-alice-router"}));
  EXPECT_NE(out_.str().find("Shut down 1/1 VM(s) of lab 'netlab' in "), std::string::npos);
  ActionRequest forced{"netlab", std::string("alice")};
  forced.force = true;
  EXPECT_TRUE(Run(AdminAction::kStop, forced));
  EXPECT_EQ(Calls("PowerOff"), (std::vector<std::string>{"PowerOff w-netlab-alice-client"}));
  EXPECT_NE(out_.str().find("w-netlab-alice-router: already shut off"), std::string::npos);
  std::vector<std::string> details;
  for (const store::Event& e : store_->Events({})) details.push_back(e.action + " " + e.detail);
  EXPECT_EQ(details, (std::vector<std::string>{
                         "start started", "start started", "start already running",
                         "start already running", "stop shutdown requested (ACPI)",
                         "stop powered off", "stop already shut off"}));
}

TEST_F(ActionsTest, AFailingVmIsReportedAndTheOthersGoOn) {
  fake_.FailOn("RevertToSnapshot w-netlab-bob-router", "disk is locked");
  EXPECT_FALSE(Run(AdminAction::kRevert, ActionRequest{"netlab", std::nullopt, std::nullopt, true}));
  EXPECT_EQ(Calls("Revert").size(), 6u);
  EXPECT_NE(out_.str().find("FAILED w-netlab-bob-router: disk is locked\n"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("Reverted 5/6 VM(s) of lab 'netlab' to clean in "), std::string::npos);
  EXPECT_NE(out_.str().find("; 1 failed.\n"), std::string::npos);
  int errors = 0;
  for (const store::Event& e : store_->Events({})) errors += e.result == "error";
  EXPECT_EQ(errors, 1);
}

TEST_F(ActionsTest, NoConnectionFailsEveryVmVisibly) {
  connect_ = []() -> std::unique_ptr<virt::Hypervisor> {
    throw core::Error("cannot connect", "qemu:///system", "start libvirtd");
  };
  context_.jobs = 2;
  EXPECT_FALSE(Run(AdminAction::kStart, ActionRequest{"netlab", std::string("carol")}));
  EXPECT_NE(out_.str().find("FAILED w-netlab-carol-router: qemu:///system: cannot connect "
                            "(start libvirtd)\n"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("Started 0/2 VM(s)"), std::string::npos);
}

TEST_F(ActionsTest, AWorldADeployIsChangingIsRefusedNamingItAndTheOthersGoOn) {
  WorldLocks deploying =
      LockWorlds(context_.state_dir, "netlab", std::set<std::string>{"alice"}, "worlds deploy");
  fake_.domains["w-netlab-alice-router"].state = virt::DomainState::kRunning;
  EXPECT_FALSE(Run(AdminAction::kRevert, ActionRequest{"netlab", std::nullopt, std::nullopt, true}));
  const std::string busy = "the World of 'alice' in lab 'netlab' is being changed by pid " +
                           std::to_string(::getpid()) +
                           ": worlds deploy; try again when it finishes";
  EXPECT_NE(out_.str().find("FAILED w-netlab-alice-router: " + busy + "\n"), std::string::npos)
      << out_.str();
  EXPECT_EQ(Calls("Revert").size(), 4u) << "bob's and carol's VMs only";
  EXPECT_EQ(fake_.domains["w-netlab-alice-router"].state, virt::DomainState::kRunning);
  EXPECT_EQ(totals_.ok, 4);
  EXPECT_EQ(totals_.busy, 2);
  EXPECT_TRUE(totals_.OnlyBusy()) << "the CLI exits 3: the host was busy";
  std::vector<std::string> refused;
  for (const store::Event& e : store_->Events({})) {
    if (e.result != "ok") refused.push_back(e.action + " " + e.target + " " + e.result + ": " + e.detail);
  }
  std::sort(refused.begin(), refused.end());  // threads finish in any order
  EXPECT_EQ(refused, (std::vector<std::string>{"revert w-netlab-alice-client refused: " + busy,
                                               "revert w-netlab-alice-router refused: " + busy}));
}

TEST_F(ActionsTest, AFailingVmAndABusyWorldIsAFailureNotOnlyBusy) {
  WorldLocks deploying =
      LockWorlds(context_.state_dir, "netlab", std::set<std::string>{"alice"}, "worlds destroy");
  fake_.FailOn("RevertToSnapshot w-netlab-bob-router", "disk is locked");
  EXPECT_FALSE(Run(AdminAction::kRevert, ActionRequest{"netlab", std::nullopt, std::nullopt, true}));
  EXPECT_EQ(totals_.ok, 3);
  EXPECT_EQ(totals_.busy, 2);
  EXPECT_FALSE(totals_.OnlyBusy());
}

// A store that cannot take the events rows (a full state dir) used to throw
// inside the action's threads: std::terminate. Now every VM is still acted
// on, the summary is printed, and the failure is one core::Error after it.
TEST_F(ActionsTest, AStoreThatCannotBeWrittenIsReportedAfterTheThreadsNotACrash) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(core::StateDbPath(context_.state_dir).c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TRIGGER full BEFORE INSERT ON events "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw);
  sqlite3_close(raw);
  core::Error e = support::ThrownError(
      [&] { Run(AdminAction::kRevert, ActionRequest{"netlab", std::nullopt, std::nullopt, true}); });
  EXPECT_EQ(e.where(), core::StateDbPath(context_.state_dir));
  EXPECT_EQ(e.message().rfind("cannot record events: ", 0), 0u) << e.message();
  EXPECT_NE(e.message().find("database or disk is full; 6 of the 6 actions above are missing "
                             "from the audit trail"),
            std::string::npos)
      << e.message();
  EXPECT_EQ(Calls("Revert").size(), 6u);
  EXPECT_NE(out_.str().find("Reverted 6/6 VM(s) of lab 'netlab' to clean in "), std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace deploy

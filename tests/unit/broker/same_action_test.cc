// One behaviour per VM action: the broker (a student, through `worlds menu`)
// and the admin's `worlds start|stop|revert` (deploy::RunVmAction) run the
// same deploy::VmActions, so on the same VM in the same state they do the
// same thing, answer the same and write the same events row, and both are
// refused while a deploy or destroy changes the VM's World.
#include <unistd.h>

#include <functional>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "core/names.h"
#include "deploy/actions.h"
#include "deploy/lock.h"
#include "deploy/vm_actions.h"
#include "fakes/shared_fakes.h"
#include "unit/broker/server_fixture.h"

namespace broker {
namespace {

const char kRouter[] = "w-lab1-alice-router";

// What one path did: its answer, its events row, and the VM afterwards.
struct Seen {
  bool ok = false;
  std::string answer;  // the new state when ok, else the error
  std::string action;  // the events row
  std::string result;
  std::string detail;
  std::string state;   // the fake's state afterwards; "missing" when absent
  std::vector<std::string> calls;  // what was asked of the hypervisor

  std::string Row() const { return action + " " + result + ": " + detail; }
};

class SameActionTest : public ServerTest {
 protected:
  // The broker's reply to alice (the VM's owner).
  Seen AsStudent(Op op) {
    hv_.calls.clear();
    Be("alice");
    Reply reply = Call(op, kRouter);
    Seen seen = Observe();
    seen.ok = reply.ok;
    seen.answer = reply.ok ? reply.state : reply.error;
    return seen;
  }

  // The admin's `worlds <command> lab1 --owner alice --vm router`.
  Seen AsAdmin(deploy::AdminAction action, bool force) {
    hv_.calls.clear();
    deploy::Context context;
    context.state_dir = dir_;
    context.uid = 0;
    context.actor = "root";
    context.jobs = 1;
    deploy::ActionRequest request{"lab1", std::string("alice"), std::string("router")};
    request.force = force;
    std::ostringstream out;
    deploy::ActionTotals totals;
    {
      std::lock_guard<std::mutex> lock(store_mu_);
      totals = deploy::RunVmAction(
          context, *store_, [this](const std::string&) { return std::make_unique<fakes::SharedHypervisor>(hv_, hv_mu_); }, action, request,
          out);
    }
    Seen seen = Observe();
    seen.ok = totals.AllOk();
    seen.answer = seen.ok ? seen.state : seen.detail;
    return seen;
  }

  // The admin path's connections are handles onto hv_ (the broker's own
  // fake), serialized among themselves by this lock.
  std::mutex hv_mu_;

  Seen Observe() {
    Seen seen;
    std::vector<store::Event> events = Events();
    if (!events.empty()) {
      seen.action = events.back().action;
      seen.result = events.back().result;
      seen.detail = events.back().detail;
    }
    auto it = hv_.domains.find(kRouter);
    seen.state = it == hv_.domains.end() ? "missing" : virt::ToString(it->second.state);
    seen.calls = hv_.calls;
    return seen;
  }

  // Puts alice's router in `state` (or removes its domain) before each path.
  void Arrange(const std::string& state) {
    if (state == "missing") {
      hv_.domains.erase(kRouter);
      return;
    }
    fakes::FakeHypervisor::Domain domain;
    domain.spec.name = kRouter;
    domain.snapshots = {core::kCleanSnapshot};
    domain.state = state == "running" ? virt::DomainState::kRunning : virt::DomainState::kShutOff;
    hv_.domains[kRouter] = domain;
  }

  // Runs `op` both ways from the same `state` and checks they agree;
  // returns what the student saw.
  Seen Both(Op op, const std::string& state) {
    SCOPED_TRACE(std::string(ToString(op)) + " of a VM " + state);
    deploy::AdminAction action = op == Op::kStart    ? deploy::AdminAction::kStart
                                 : op == Op::kRevert ? deploy::AdminAction::kRevert
                                                     : deploy::AdminAction::kStop;
    deploy::VmOp vm_op = op == Op::kStart      ? deploy::VmOp::kStart
                         : op == Op::kRevert   ? deploy::VmOp::kRevert
                         : op == Op::kShutdown ? deploy::VmOp::kShutdown
                                               : deploy::VmOp::kPowerOff;
    Arrange(state);
    Seen student = AsStudent(op);
    Arrange(state);
    Seen admin = AsAdmin(action, op == Op::kPowerOff);
    EXPECT_EQ(student.ok, admin.ok);
    EXPECT_EQ(student.answer, admin.answer);
    EXPECT_EQ(student.result, admin.result);
    EXPECT_EQ(student.detail, admin.detail);
    EXPECT_EQ(student.state, admin.state);
    EXPECT_EQ(student.calls, admin.calls);
    // The one table of spellings: the protocol's op, the admin's command.
    EXPECT_EQ(student.action, deploy::EventAction(vm_op, deploy::Spelling::kProtocol));
    EXPECT_EQ(admin.action, deploy::EventAction(vm_op, deploy::Spelling::kCommand));
    return student;
  }
};

TEST_F(SameActionTest, AdminAndStudentGetTheSameOutcomeForTheSameSituation) {
  EXPECT_EQ(Both(Op::kStart, "running").Row(), "start ok: already running");
  EXPECT_EQ(Both(Op::kStart, "shut off").Row(), "start ok: started");
  EXPECT_EQ(Both(Op::kShutdown, "shut off").Row(), "shutdown ok: already shut off");
  EXPECT_EQ(Both(Op::kShutdown, "running").Row(), "shutdown ok: shutdown requested (ACPI)");
  EXPECT_EQ(Both(Op::kPowerOff, "shut off").Row(), "poweroff ok: already shut off");
  EXPECT_EQ(Both(Op::kPowerOff, "running").Row(), "poweroff ok: powered off");
  Seen revert = Both(Op::kRevert, "running");
  EXPECT_EQ(revert.Row(), "revert ok: reverted to clean (was running)");
  EXPECT_EQ(revert.answer, "shut off");
  EXPECT_EQ(Both(Op::kRevert, "shut off").Row(), "revert ok: reverted to clean");
  Seen missing = Both(Op::kStart, "missing");
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.Row(), std::string("start error: ") + kRouter + ": domain '" + kRouter +
                               "' does not exist");
  hv_.FailOn("RevertToSnapshot", "disk is locked");
  EXPECT_EQ(Both(Op::kRevert, "running").Row(), "revert error: disk is locked");
}

TEST_F(SameActionTest, ARevertDuringADeployOfTheWorldIsRefusedForStudentAndAdmin) {
  Arrange("running");
  const std::string busy = "the World of 'alice' in lab 'lab1' is being changed by pid " +
                           std::to_string(::getpid()) +
                           ": worlds deploy; try again when it finishes";
  {
    // What deploy holds for its whole run (deploy/operations.cc).
    deploy::WorldLocks deploying =
        deploy::LockWorlds(dir_, "lab1", std::set<std::string>{"alice"}, "worlds deploy");
    Seen student = AsStudent(Op::kRevert);
    EXPECT_FALSE(student.ok);
    EXPECT_EQ(student.answer, busy);
    EXPECT_EQ(student.Row(), "revert refused: " + busy);
    EXPECT_EQ(student.state, "running") << "not reverted";
    EXPECT_TRUE(student.calls.empty()) << student.calls.front();

    Seen admin = AsAdmin(deploy::AdminAction::kRevert, false);
    EXPECT_FALSE(admin.ok);
    EXPECT_EQ(admin.Row(), "revert refused: " + busy);
    EXPECT_EQ(admin.state, "running");
    EXPECT_TRUE(admin.calls.empty());

    // Another World is not being changed: bob acts as usual.
    Be("bob");
    EXPECT_EQ(Call(Op::kStart, "w-lab1-bob-router").state, "running");
  }
  // The deploy is over: the same revert goes through.
  Seen after = AsStudent(Op::kRevert);
  EXPECT_EQ(after.Row(), "revert ok: reverted to clean (was running)");
}

TEST_F(SameActionTest, AnActionDuringADestroyOfTheWorldIsRefusedNamingIt) {
  deploy::WorldLocks destroying =
      deploy::LockWorlds(dir_, "lab1", std::set<std::string>{"alice", "bob"}, "worlds destroy");
  Be("alice");
  EXPECT_EQ(Call(Op::kStart, kRouter).error,
            "the World of 'alice' in lab 'lab1' is being changed by pid " +
                std::to_string(::getpid()) + ": worlds destroy; try again when it finishes");
  EXPECT_EQ(hv_.domains[kRouter].state, virt::DomainState::kShutOff);
  std::vector<store::Event> events = Events();
  ASSERT_EQ(events.size(), 1u) << "one row: VmActions', not a second from the broker";
  EXPECT_EQ(events[0].result, "refused");
}

}  // namespace
}  // namespace broker

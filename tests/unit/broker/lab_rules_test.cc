// The lab rules against FakeHypervisor and a real SQLite file, with the
// instants given (no clock, no sleep): a closed lab's running VMs get an ACPI
// shutdown, then a power off after the grace period, also from a restarted
// broker; idle VMs are shut down unless someone is on their console; the
// students on a console are warned before a close; and the broker refuses a
// student's start in a closed lab and shows the lab's state in the list.
#include "broker/lab_rules.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "broker/server.h"
#include "schedule/policy_json.h"
#include "schedule/time.h"
#include "unit/broker/server_fixture.h"

namespace broker {
namespace {

using std::chrono::minutes;

// Monday 2027-01-11 (UTC), `minute` minutes after midnight.
schedule::TimePoint Monday(int minute) {
  return schedule::ToInstant(core::LocalDateTime{2027, 1, 11, minute}, "UTC");
}

class LabRulesTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    backend_.options.state_dir = dir_;
    backend_.hypervisor = &hv_;
    backend_.reader = &hv_;
    backend_.store = store_.get();
  }

  // lab1 open on Mondays 09:00-10:00 UTC, warning 5 min, grace 2 min; with
  // `idle` minutes of idle shutdown when > 0.
  void Policy(int idle = 0) {
    core::Lab lab;
    lab.name = "lab1";
    core::LabSchedule schedule;
    schedule.timezone = "UTC";
    core::WeeklyWindow window;
    window.days = {1};
    window.from = 9 * 60;
    window.to = 10 * 60;
    schedule.windows = {window};
    lab.schedule = schedule;
    if (idle > 0) {
      core::IdlePolicy policy;
      policy.after_minutes = idle;
      lab.idle = policy;
    }
    store_->SetLabPolicy("lab1", schedule::EncodePolicy(lab));
  }

  void Running(const std::string& domain, uint64_t cpu_ns = 0) {
    hv_.domains[domain].state = virt::DomainState::kRunning;
    hv_.domains[domain].cpu_time_ns = cpu_ns;
  }

  int CallsOf(const std::string& call) {
    int n = 0;
    for (const std::string& c : hv_.calls) n += c == call;
    return n;
  }

  Backend backend_;
};

TEST_F(LabRulesTest, AClosedLabsVmsAreShutDownThenPoweredOffAfterTheGrace) {
  Policy();
  Running("w-lab1-alice-router");
  LabRules rules(backend_);
  rules.Tick(Monday(9 * 60 + 30));
  EXPECT_EQ(CallsOf("Shutdown w-lab1-alice-router"), 0) << "open until 10:00";

  rules.Tick(Monday(10 * 60));
  EXPECT_EQ(CallsOf("Shutdown w-lab1-alice-router"), 1);
  EXPECT_EQ(rules.Note("w-lab1-alice-router"), "shut down at 10:00 UTC: the lab closed");
  // The guest ignores ACPI: it runs on through the grace, then goes.
  Running("w-lab1-alice-router");
  rules.Tick(Monday(10 * 60 + 1));
  EXPECT_EQ(CallsOf("PowerOff w-lab1-alice-router"), 0);
  rules.Tick(Monday(10 * 60 + 2));
  EXPECT_EQ(CallsOf("PowerOff w-lab1-alice-router"), 1);
  EXPECT_EQ(hv_.domains["w-lab1-alice-router"].state, virt::DomainState::kShutOff);
  EXPECT_EQ(rules.Note("w-lab1-alice-router"), "powered off at 10:02 UTC: the lab closed");

  std::vector<store::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].actor, "worlds-rules");
  EXPECT_EQ(events[0].action, "shutdown");
  EXPECT_EQ(events[0].target, "w-lab1-alice-router");
  EXPECT_EQ(events[0].detail, "lab 'lab1' closed: shutdown requested (ACPI)");
  EXPECT_EQ(events[1].action, "poweroff");
  EXPECT_EQ(events[1].detail,
            "lab 'lab1' closed; still running 2 min after its ACPI shutdown: powered off");
}

TEST_F(LabRulesTest, ARestartedBrokerClosesAgainAndConverges) {
  Policy();
  Running("w-lab1-bob-router");
  LabRules(backend_).Tick(Monday(10 * 60));
  Running("w-lab1-bob-router");  // still up when the broker restarts
  LabRules restarted(backend_);
  restarted.Tick(Monday(10 * 60 + 5));
  EXPECT_EQ(CallsOf("Shutdown w-lab1-bob-router"), 2) << "asked again, grace from now";
  Running("w-lab1-bob-router");
  restarted.Tick(Monday(10 * 60 + 7));
  EXPECT_EQ(hv_.domains["w-lab1-bob-router"].state, virt::DomainState::kShutOff);
}

TEST_F(LabRulesTest, AnIdleVmIsShutDownUnlessSomeoneIsOnItsConsole) {
  Policy(/*idle=*/30);
  Running("w-lab1-alice-router", 1000);
  Running("w-lab1-bob-router", 1000);
  auto session = backend_.consoles.Add("w-lab1-bob-router", -1, "bob");
  LabRules open_hour(backend_);
  for (int minute = 0; minute < 30; minute += 10) open_hour.Tick(Monday(9 * 60 + minute));
  EXPECT_EQ(CallsOf("Shutdown w-lab1-alice-router"), 0) << "idle for 20 min only";
  open_hour.Tick(Monday(9 * 60 + 30));
  EXPECT_EQ(CallsOf("Shutdown w-lab1-alice-router"), 1);
  EXPECT_EQ(open_hour.Note("w-lab1-alice-router"), "shut down at 09:30 UTC: idle for 30 min");
  EXPECT_EQ(CallsOf("Shutdown w-lab1-bob-router"), 0) << "bob is on its console";
  backend_.consoles.Remove("w-lab1-bob-router", session);
  // The guest ignored ACPI: a grace (the schedule's, 2 min) later it goes.
  Running("w-lab1-alice-router", 1000);
  open_hour.Tick(Monday(9 * 60 + 31));
  EXPECT_EQ(CallsOf("PowerOff w-lab1-alice-router"), 0);
  open_hour.Tick(Monday(9 * 60 + 32));
  EXPECT_EQ(CallsOf("PowerOff w-lab1-alice-router"), 1);
  EXPECT_EQ(open_hour.Note("w-lab1-alice-router"), "powered off at 09:32 UTC: idle for 30 min");
}

TEST_F(LabRulesTest, ABusyVmIsNotIdle) {
  Policy(/*idle=*/30);
  LabRules rules(backend_);
  for (int minute = 0; minute <= 40; minute += 10) {
    // A minute of CPU every ten minutes: 10% of its vCPU.
    Running("w-lab1-alice-router", static_cast<uint64_t>(minute) * 6'000'000'000ull);
    rules.Tick(Monday(9 * 60 + minute));
  }
  EXPECT_EQ(CallsOf("Shutdown w-lab1-alice-router"), 0);
}

TEST_F(LabRulesTest, StudentsOnAConsoleAreWarnedOnceBeforeTheClose) {
  Policy();
  Running("w-lab1-alice-router");
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  auto session = backend_.consoles.Add("w-lab1-alice-router", pair[0], "alice");
  LabRules rules(backend_);
  rules.Tick(Monday(9 * 60 + 50));
  struct pollfd pfd = {pair[1], POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "ten minutes before: no warning yet";
  rules.Tick(Monday(9 * 60 + 56));
  rules.Tick(Monday(9 * 60 + 57));
  char buffer[512] = {};
  ssize_t n = ::recv(pair[1], buffer, sizeof buffer - 1, MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer, n),
            "\r\n[worlds] Lab 'lab1' closes at Mon 10:00 UTC: save your work; its VMs will "
            "then be shut down.\r\n")
      << "once, not at every pass";
  backend_.consoles.Remove("w-lab1-alice-router", session);
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST_F(LabRulesTest, AStudentCannotStartAVmOfAClosedLabAndSeesWhyInTheList) {
  store::LabOverrideRecord closed;
  closed.lab = "lab1";
  closed.open = false;
  closed.actor = "teacher";
  store_->SetLabOverride(closed);
  Be("alice");
  Reply start = Call(Op::kStart, "w-lab1-alice-router");
  EXPECT_FALSE(start.ok);
  EXPECT_EQ(start.error, "lab 'lab1' is closed; ask your instructor");
  EXPECT_EQ(hv_.domains["w-lab1-alice-router"].state, virt::DomainState::kShutOff);
  Reply list = Call(Op::kList);
  ASSERT_TRUE(list.ok) << list.error;
  EXPECT_EQ(list.vms[0].lab_state, "closed");
  Be("teacher", true);
  EXPECT_TRUE(Call(Op::kStart, "w-lab1-alice-router").ok) << "admins start what they like";
}

TEST_F(LabRulesTest, ALabWithoutAScheduleShowsNoState) {
  Be("alice");
  Reply list = Call(Op::kList);
  ASSERT_TRUE(list.ok) << list.error;
  EXPECT_EQ(list.vms[0].lab_state, "");
}

}  // namespace
}  // namespace broker

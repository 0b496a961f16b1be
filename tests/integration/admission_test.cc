// The admission rule with a real broker and real domains: a start beyond the
// host's memory budget is refused in the student's words and changes
// nothing, the per-student limit holds, and starts racing each other cannot
// all pass. The budget is set just above what the host runs now, so the test
// does not depend on how big the machine is.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <thread>

#include "broker_client/client.h"
#include "capacity/budget.h"
#include "integration/deploy_fixture.h"
#include "store/store.h"
#include "support/accounts.h"
#include "virt/hypervisor.h"

namespace {

using broker::Op;

class AdmissionTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "admit"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Two students of this test's own (others' tests use alice and bob).
    roster_ = dir_ + "/roster.csv";
    support::WriteFile(roster_,
                       "username,full_name,group\nwadm1,Admit One,wadm\nwadm2,Admit Two,wadm\n");
    for (const char* user : {"wadm1", "wadm2"}) accounts_.Ensure(user);
    socket_ = dir_ + "/run/s.sock";
  }

  void TearDown() override {
    StopBroker();
    for (const char* name : {"WORLDS_MEMORY_BUDGET", "WORLDS_MAX_RUNNING_PER_STUDENT"}) {
      ::unsetenv(name);
    }
    accounts_.RemoveAll();
    it::DeployTest::TearDown();
  }

  // The broker reads the admission settings from its environment.
  void StartBroker(const std::map<std::string, std::string>& env) {
    StopBroker();
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    log_ = dir_ + "/broker.log";
    broker_ = it::SpawnBroker(state_dir_, socket_, log_);
    ASSERT_GT(broker_, 0) << it::ReadFile(log_);
  }

  void StopBroker() {
    if (broker_ <= 0) return;
    ::kill(broker_, SIGTERM);
    ::waitpid(broker_, nullptr, 0);
    broker_ = -1;
  }

  std::string Ask(const std::string& user, Op op, const std::string& domain) {
    return it::AsUser(user, [&] {
      broker::Client client(socket_);
      broker::Reply reply = client.Call({op, domain});
      return reply.ok ? "ok " + reply.state : "refused: " + reply.error;
    });
  }

  // What every domain on the host holds now, plus `room` MiB: the budget
  // that lets exactly that much more start.
  std::string BudgetWithRoomFor(int room) {
    auto hv = virt::NewLibvirtHypervisor("qemu:///system");
    return std::to_string(capacity::Sum(hv->Usage("")).memory_mib + room);
  }

  std::string Dom(const char* owner, const char* vm) { return core::DomainName(Lab(), owner, vm); }

  support::StudentAccounts accounts_;
  std::string socket_, log_;
  pid_t broker_ = -1;
};

TEST_F(AdmissionTest, BudgetAndPerStudentLimitHoldForStudentsAdminsAndRaces) {
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;

  // Room for one VM of 256 MiB (and 44 MiB more).
  StartBroker({{"WORLDS_MEMORY_BUDGET", BudgetWithRoomFor(300)}});
  EXPECT_EQ(Ask("wadm1", Op::kStart, Dom("wadm1", "router")), "ok running");
  EXPECT_EQ(Ask("wadm1", Op::kStart, Dom("wadm1", "client")),
            "refused: the lab host is full: 256 MiB needed, 44 MiB free; try again later or "
            "ask your instructor");
  EXPECT_EQ(it::DomState(Dom("wadm1", "client")), "shut off");
  // The admin's command passes the same rule.
  it::Run admin = it::Worlds(Global({"start", Lab(), "--owner", "wadm2"}));
  EXPECT_NE(admin.code, 0);
  EXPECT_NE(admin.out.find("the lab host is full"), std::string::npos) << admin.out << admin.err;
  EXPECT_EQ(it::DomState(Dom("wadm2", "router")), "shut off");
  EXPECT_EQ(Ask("wadm1", Op::kPowerOff, Dom("wadm1", "router")), "ok shut off");

  // Four starts at once, as root (an admin), room for one: one passes.
  StartBroker({{"WORLDS_MEMORY_BUDGET", BudgetWithRoomFor(300)}});
  std::vector<std::string> replies(4);
  {
    std::vector<std::thread> racers;
    const char* owners[] = {"wadm1", "wadm1", "wadm2", "wadm2"};
    const char* vms[] = {"router", "client", "router", "client"};
    for (int i = 0; i < 4; ++i) {
      racers.emplace_back([&, i] {
        broker::Client client(socket_);
        broker::Reply reply = client.Call({Op::kStart, Dom(owners[i], vms[i])});
        replies[i] = reply.ok ? "ok" : reply.error;
      });
    }
    for (std::thread& t : racers) t.join();
  }
  int started = 0;
  for (const std::string& r : replies) {
    if (r == "ok") {
      ++started;
    } else {
      EXPECT_EQ(r.rfind("the lab host is full: 256 MiB needed, 44 MiB free", 0), 0u) << r;
    }
  }
  EXPECT_EQ(started, 1);
  it::Worlds(Global({"stop", Lab(), "--force"}));

  // One VM per student at a time, whatever the memory.
  ::unsetenv("WORLDS_MEMORY_BUDGET");
  StartBroker({{"WORLDS_MAX_RUNNING_PER_STUDENT", "1"}});
  EXPECT_EQ(Ask("wadm1", Op::kStart, Dom("wadm1", "router")), "ok running");
  EXPECT_EQ(Ask("wadm1", Op::kStart, Dom("wadm1", "client")),
            "refused: you have 1 VM(s) running, the most one student may run at once (1); stop "
            "one of them first");
  EXPECT_EQ(Ask("wadm2", Op::kStart, Dom("wadm2", "client")), "ok running");
  StopBroker();
  it::Worlds(Global({"stop", Lab(), "--force"}));

  // Every refusal is an events row that says why.
  int refusals = 0;
  auto db = store::Store::Open(state_dir_ + "/state.db");
  for (const store::Event& e : db->Events({})) {
    if (e.action == "start" && e.result == "refused") {
      ++refusals;
      EXPECT_TRUE(e.detail.find("the lab host is full") == 0 ||
                  e.detail.find("you have 1 VM(s) running") == 0)
          << e.detail;
    }
  }
  EXPECT_EQ(refusals, 1 + 2 + 3 + 1) << "broker, admin (two VMs), race, per-student";
}

}  // namespace

// `worlds broker` for real: a real deploy, the broker as a separate root
// process, and clients running as real unprivileged Unix accounts, so the
// identity comes from SO_PEERCRED and nowhere else.
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "broker_client/client.h"
#include "core/error.h"
#include "deploy/lock.h"
#include "integration/deploy_fixture.h"
#include "store/store.h"
#include "support/accounts.h"

namespace {

using broker::Op;

class BrokerTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "broker"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The sample roster's students as real accounts. Another test may have
    // made them already: use theirs, and remove only the ones made here.
    for (const char* user : {"alice", "bob"}) accounts_.Ensure(user);
    socket_ = dir_ + "/run/s.sock";
  }

  void TearDown() override {
    StopBroker();
    accounts_.RemoveAll();
    it::DeployTest::TearDown();
  }

  void StartBroker() {
    log_ = dir_ + "/broker.log";
    broker_ = it::SpawnBroker(state_dir_, socket_, log_);
    ASSERT_GT(broker_, 0) << it::ReadFile(log_);
  }

  // SIGTERM, as an init script would; returns the broker's exit status.
  int StopBroker() {
    if (broker_ <= 0) return -1;
    ::kill(broker_, SIGTERM);
    int status = 0;
    ::waitpid(broker_, &status, 0);
    broker_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string AsUser(const std::string& user, const std::function<std::string()>& fn) {
    return it::AsUser(user, fn);
  }

  // One request as `user`: "ok <state>" / "ok <domains...>" / the refusal.
  std::string Ask(const std::string& user, Op op, const std::string& domain = "") {
    return AsUser(user, [&] {
      broker::Client client(socket_);
      broker::Reply reply = client.Call({op, domain});
      if (!reply.ok) return "refused: " + reply.error;
      if (op == Op::kWhoami) return "ok " + reply.user + " " + std::to_string(reply.uid);
      if (op != Op::kList) return "ok " + reply.state;
      std::string out = "ok";
      for (const auto& vm : reply.vms) out += " " + vm.domain + "=" + vm.state;
      return out;
    });
  }

  std::string Dom(const char* owner, const char* vm) { return core::DomainName(Lab(), owner, vm); }

  support::StudentAccounts accounts_;
  std::string socket_, log_;
  pid_t broker_ = -1;
};

TEST_F(BrokerTest, StudentsActOnlyOnTheirOwnVmsAndReachTheirConsole) {
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  StartBroker();
  uid_t alice = *support::UidOf("alice");

  EXPECT_EQ(Ask("alice", Op::kWhoami), "ok alice " + std::to_string(alice));
  EXPECT_EQ(Ask("alice", Op::kList), "ok " + Dom("alice", "client") + "=shut off " +
                                         Dom("alice", "router") + "=shut off");
  EXPECT_EQ(Ask("alice", Op::kStart, Dom("bob", "router")),
            "refused: '" + Dom("bob", "router") + "' is not one of alice's VMs");
  EXPECT_EQ(it::DomState(Dom("bob", "router")), "shut off");
  EXPECT_EQ(Ask("nobody", Op::kList), "refused: user 'nobody' has no Worlds");

  EXPECT_EQ(Ask("alice", Op::kStart, Dom("alice", "router")), "ok running");
  EXPECT_EQ(it::DomState(Dom("alice", "router")), "running");
  EXPECT_EQ(Ask("alice", Op::kRevert, Dom("alice", "router")), "ok shut off");
  EXPECT_EQ(it::DomState(Dom("alice", "router")), "shut off");
  EXPECT_EQ(Ask("alice", Op::kStart, Dom("alice", "router")), "ok running");
  {
    // A deploy of alice's World holds its lock (as deploy::Deploy does): her
    // revert is refused, naming it, and the VM is left alone.
    deploy::WorldLocks deploying = deploy::LockWorlds(
        state_dir_, Lab(), std::set<std::string>{"alice"}, "worlds deploy");
    EXPECT_EQ(Ask("alice", Op::kRevert, Dom("alice", "router")),
              "refused: the World of 'alice' in lab '" + Lab() + "' is being changed by pid " +
                  std::to_string(::getpid()) + ": worlds deploy; try again when it finishes");
    EXPECT_EQ(it::DomState(Dom("alice", "router")), "running");
  }

  // The console, as alice: wait for the guest's shell, run a command, see
  // its output (not only the echo of what was typed).
  std::string console = AsUser("alice", [&] {
    broker::Client client(socket_);
    int fd = client.OpenConsole(Dom("alice", "router"));
    // The answer, not only the echo of what was typed.
    std::string seen = it::TypeUntil(fd, "echo hello-from-console-$((6*7))\n",
                                     "hello-from-console-42\r", std::chrono::seconds(240));
    ::close(fd);
    bool ok = seen.find("hello-from-console-42") != std::string::npos;
    return std::string(ok ? "echoed" : "not echoed: ") + (ok ? "" : seen.substr(0, 2000));
  });
  EXPECT_EQ(console, "echoed");
  // Closing the client ended the stream: a new session (without force)
  // opens, and bob cannot open alice's.
  std::string reopen = AsUser("alice", [&] {
    broker::Client client(socket_);
    int fd = client.OpenConsole(Dom("alice", "router"));
    ::close(fd);
    return std::string("reopened");
  });
  EXPECT_EQ(reopen, "reopened");
  EXPECT_EQ(AsUser("bob", [&] {
              broker::Client client(socket_);
              return std::to_string(client.OpenConsole(Dom("alice", "router")));
            }),
            "error: '" + Dom("alice", "router") + "' is not one of bob's VMs");
  EXPECT_EQ(Ask("alice", Op::kPowerOff, Dom("alice", "router")), "ok shut off");

  EXPECT_EQ(StopBroker(), 0) << it::ReadFile(log_);
  EXPECT_FALSE(std::filesystem::exists(socket_));

  // One events row per request, with the uid the socket gave.
  std::vector<std::string> rows;
  auto db = store::Store::Open(state_dir_ + "/state.db");
  for (const store::Event& e : db->Events({})) {
    if (e.action == "deploy" || e.actor == "root") continue;
    rows.push_back(std::to_string(e.uid) + " " + e.actor + " " + e.action + " " + e.target +
                   " " + e.result);
  }
  std::string a = std::to_string(alice) + " alice ";
  std::string b = std::to_string(*support::UidOf("bob")) + " bob ";
  std::string router = Dom("alice", "router");
  EXPECT_EQ(rows, (std::vector<std::string>{
                      a + "whoami  ok",
                      a + "list  ok",
                      a + "start " + Dom("bob", "router") + " refused",
                      "65534 nobody list  refused",
                      a + "start " + router + " ok",
                      a + "revert " + router + " ok",
                      a + "start " + router + " ok",
                      a + "revert " + router + " refused",
                      a + "console " + router + " ok",
                      a + "console " + router + " ok",
                      b + "console " + router + " refused",
                      a + "poweroff " + router + " ok",
                  }));
}

}  // namespace

// The broker against FakeHypervisor and a real SQLite file, over a real Unix
// socket in this process. Every connection comes from this process's uid, so
// identity is injected: the test says who "the socket" is.
#include "broker/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "broker_client/client.h"
#include "core/error.h"
#include "fakes/fake_hypervisor.h"
#include "fakes/shared_fakes.h"
#include "support/error_text.h"
#include "unit/broker/server_fixture.h"

namespace broker {
namespace {

std::vector<std::string> Domains(const Reply& reply) {
  std::vector<std::string> out;
  for (const VmView& vm : reply.vms) out.push_back(vm.domain);
  return out;
}

TEST_F(ServerTest, ListShowsOnlyTheCallersAndTheirGroupsVms) {
  Be("alice");
  Reply reply = Call(Op::kList);
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(Domains(reply), (std::vector<std::string>{"w-lab1-alice-client", "w-lab1-alice-router",
                                                       "w-lab1-lab-a-router"}));
  EXPECT_EQ(reply.vms[0].state, "shut off");
  Be("bob");
  EXPECT_EQ(Domains(Call(Op::kList)), (std::vector<std::string>{"w-lab1-bob-router"}));
  Be("teacher", true);
  EXPECT_EQ(Call(Op::kList).vms.size(), 4u);
}

TEST_F(ServerTest, ListAndOtherVmsDoNotWaitBehindASlowStart) {
  std::mutex mu;
  std::condition_variable cv;
  bool starting = false, release = false;
  hv_.before_start = [&](const std::string& domain) {
    if (domain != "w-lab1-alice-router") return;
    std::unique_lock<std::mutex> lock(mu);
    starting = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  Be("alice");
  std::thread slow([&] { EXPECT_TRUE(Call(Op::kStart, "w-lab1-alice-router").ok); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return starting; }));
  }
  // The start is held inside the hypervisor: with one lock for the whole
  // hypervisor these would wait until it is released below.
  std::future<std::string> meanwhile = std::async(std::launch::async, [&] {
    Reply list = Call(Op::kList);
    Reply other = Call(Op::kStart, "w-lab1-alice-client");
    return std::string(list.ok ? "list ok" : list.error) + ", " +
           (other.ok ? "start ok" : other.error);
  });
  bool answered = meanwhile.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  slow.join();
  EXPECT_TRUE(answered) << "list and another VM's start waited behind the slow start";
  EXPECT_EQ(meanwhile.get(), "list ok, start ok");
  EXPECT_EQ(hv_.domains["w-lab1-alice-router"].state, virt::DomainState::kRunning);
}

TEST_F(ServerTest, WhoamiSaysWhatTheSocketSays) {
  Be("alice");
  Reply reply = Call(Op::kWhoami);
  ASSERT_TRUE(reply.ok);
  EXPECT_EQ(reply.user, "alice");
  EXPECT_EQ(reply.uid, static_cast<long>(::getuid()));
  EXPECT_FALSE(reply.admin);
}

TEST_F(ServerTest, AliceCannotStartBobsVmAndTheRefusalIsRecorded) {
  Be("alice");
  Reply reply = Call(Op::kStart, "w-lab1-bob-router");
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.error, "'w-lab1-bob-router' is not one of alice's VMs");
  EXPECT_EQ(hv_.domains["w-lab1-bob-router"].state, virt::DomainState::kShutOff);
  for (const std::string& call : hv_.calls) EXPECT_NE(call, "Start w-lab1-bob-router");
  std::vector<store::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].uid, static_cast<int64_t>(::getuid()));
  EXPECT_EQ(events[0].actor, "alice");
  EXPECT_EQ(events[0].action, "start");
  EXPECT_EQ(events[0].target, "w-lab1-bob-router");
  EXPECT_EQ(events[0].result, "refused");
  EXPECT_EQ(events[0].detail, "'w-lab1-bob-router' is not one of alice's VMs");
}

TEST_F(ServerTest, OwnerAndAdminActAndEveryRequestIsAnEvent) {
  Be("alice");
  Reply start = Call(Op::kStart, "w-lab1-alice-router");
  ASSERT_TRUE(start.ok) << start.error;
  EXPECT_EQ(start.state, "running");
  // Issue 11: starting a running VM succeeds for a student as for an admin
  // (deploy::VmActions); it used to be this student's error.
  Reply again = Call(Op::kStart, "w-lab1-alice-router");
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.state, "running");
  EXPECT_EQ(Call(Op::kRevert, "w-lab1-alice-router").state, "shut off");
  EXPECT_EQ(Call(Op::kStart, "w-lab1-lab-a-router").state, "running");  // group World
  EXPECT_EQ(Call(Op::kShutdown, "w-lab1-lab-a-router").state, "shut off");
  Be("teacher", true);
  EXPECT_EQ(Call(Op::kStart, "w-lab1-bob-router").state, "running");
  EXPECT_EQ(Call(Op::kPowerOff, "w-lab1-bob-router").state, "shut off");
  EXPECT_EQ(Call(Op::kStart, "w-lab1-zed-router").error, "'w-lab1-zed-router' is not a Worlds VM");

  std::vector<std::string> rows;
  for (const store::Event& e : Events()) {
    rows.push_back(e.actor + " " + e.action + " " + e.target + " " + e.result + ": " + e.detail);
  }
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "alice start w-lab1-alice-router ok: started",
                      "alice start w-lab1-alice-router ok: already running",
                      "alice revert w-lab1-alice-router ok: reverted to clean (was running)",
                      "alice start w-lab1-lab-a-router ok: started",
                      "alice shutdown w-lab1-lab-a-router ok: shutdown requested (ACPI)",
                      "teacher start w-lab1-bob-router ok: started",
                      "teacher poweroff w-lab1-bob-router ok: powered off",
                      "teacher start w-lab1-zed-router refused: 'w-lab1-zed-router' is not a "
                      "Worlds VM",
                  }));
}

TEST_F(ServerTest, UsersOutsideTheRosterAndUnknownUidsAreRefused) {
  Be("mallory");
  EXPECT_EQ(Call(Op::kList).error, "user 'mallory' has no Worlds");
  EXPECT_EQ(Call(Op::kStart, "w-lab1-alice-router").error, "user 'mallory' has no Worlds");
  EXPECT_TRUE(Call(Op::kWhoami).ok);  // the menu may still say who you are
  Be("");
  EXPECT_EQ(Call(Op::kList).error, "uid " + std::to_string(::getuid()) +
                                       " has no Worlds (no such user on this host)");
  EXPECT_EQ(Events().back().actor, "uid " + std::to_string(::getuid()));
}

TEST_F(ServerTest, MalformedLinesGetErrorsAndTheConnectionKeepsWorking) {
  Be("alice");
  int fd = Connect();
  Send(fd, "garbage\n{\"v\":1,\"op\":\"rm -rf\"}\n{\"v\":1,\"op\":\"start\",\"domain\":\"w-x;y\"}\n");
  EXPECT_EQ(Receive(fd), "{\"error\":\"malformed request: not JSON\",\"ok\":false,\"v\":1}\n");
  EXPECT_EQ(Receive(fd),
            "{\"error\":\"unknown op \\\"rm -rf\\\" (known: whoami, list, start, shutdown, "
            "poweroff, revert, console)\",\"ok\":false,\"v\":1}\n");
  EXPECT_EQ(Receive(fd),
            "{\"error\":\"invalid domain name (expected w-[a-z0-9_-]+)\",\"ok\":false,\"v\":1}\n");
  Send(fd, "{\"v\":1,\"op\":\"whoami\"}\n");
  EXPECT_EQ(Receive(fd).substr(0, 30), "{\"admin\":false,\"ok\":true,\"uid\"");
  ::close(fd);
  EXPECT_EQ(Events()[0].result, "error");
  EXPECT_EQ(Events()[0].detail, "malformed request: not JSON");
}

TEST_F(ServerTest, AnOversizedLineGetsAnErrorAndTheConnectionCloses) {
  Be("alice");
  int fd = Connect();
  Send(fd, std::string(kMaxRequestBytes + 10, 'x'));  // no newline, ever
  EXPECT_EQ(Receive(fd),
            "{\"error\":\"request longer than 4096 bytes\",\"ok\":false,\"v\":1}\n");
  EXPECT_EQ(Receive(fd, false), "");  // EOF
  ::close(fd);
  Be("alice");
  EXPECT_TRUE(Call(Op::kWhoami).ok);  // the broker itself is fine
}

TEST_F(ServerTest, FiftyConcurrentClientsAreAllAnswered) {
  Be("alice");
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&] {
      Reply reply = Call(Op::kList);
      if (reply.ok && reply.vms.size() == 3) ++answered;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), 50);
  EXPECT_EQ(Events().size(), 50u);
}

TEST_F(ServerTest, ClientsBeyondTheCapAreToldTheBrokerIsBusy) {
  StopServer();
  max_clients_ = 1;
  Listen();
  Be("alice");
  int first = Connect();  // holds the only slot
  Send(first, "{\"v\":1,\"op\":\"whoami\"}\n");
  ASSERT_NE(Receive(first), "");
  Client second(socket_);
  EXPECT_EQ(second.Call(Request{Op::kWhoami, ""}).error, "busy: too many clients, try again");
  ::close(first);
}

TEST_F(ServerTest, AnIdleClientIsDisconnected) {
  StopServer();
  idle_timeout_ms_ = 100;
  Listen();
  Be("alice");
  int fd = Connect();
  Send(fd, "{\"v\":1,");  // half a request, then nothing
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Receive(fd, false), "");  // EOF, well before Receive's 5 s
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ::close(fd);
}

TEST_F(ServerTest, ConsoleRelaysBothWaysAndEitherSideEndsIt) {
  hv_.domains["w-lab1-alice-router"].state = virt::DomainState::kRunning;
  std::shared_ptr<fakes::FakeConsole> console = hv_.Console("w-lab1-alice-router");
  Be("alice");
  Client client(socket_);
  int fd = client.OpenConsole("w-lab1-alice-router");
  console->Emit("login: ");
  EXPECT_EQ(Receive(fd, false, 7), "login: ");
  Send(fd, "echo hi\n");
  EXPECT_TRUE(console->WaitWritten("echo hi\n", 5000));
  ::close(fd);  // the client leaves: the stream is closed
  EXPECT_TRUE(console->WaitIdle(5000));

  // The console ends first: the client sees EOF.
  Client again(socket_);
  fd = again.OpenConsole("w-lab1-alice-router");
  EXPECT_EQ(console->opened(), 2);
  console->Hangup();
  EXPECT_EQ(Receive(fd, false), "");
  ::close(fd);
  EXPECT_EQ(Events().back().detail, "console opened");
}

TEST_F(ServerTest, ConsoleIsRefusedForOthersAndWhenNotRunning) {
  Be("alice");
  Client client(socket_);
  EXPECT_EQ(support::ErrorText([&] { client.OpenConsole("w-lab1-alice-router"); }),
            "w-lab1-alice-router: domain 'w-lab1-alice-router' is not running");
  hv_.domains["w-lab1-bob-router"].state = virt::DomainState::kRunning;
  Client other(socket_);
  EXPECT_THROW(other.OpenConsole("w-lab1-bob-router"), core::Error);
  EXPECT_FALSE(hv_.Console("w-lab1-bob-router")->InUse());
}

TEST_F(ServerTest, StopRemovesTheSocketAndAStaleSocketIsReplaced) {
  struct stat st;
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  StopServer();
  EXPECT_FALSE(std::filesystem::exists(socket_));
  EXPECT_EQ(support::ErrorText([&] { Client gone(socket_); }),
            "cannot reach the Worlds broker at " + socket_ +
                ": No such file or directory (is `worlds broker` running?)");
  // A stale socket (a broker that died) is replaced; any other file is not.
  int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, socket_.c_str());
  ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(stale);
  Listen();
  Be("alice");
  EXPECT_TRUE(Call(Op::kWhoami).ok);
  StopServer();
  std::ofstream(socket_) << "not a socket";
  ServerOptions options;
  options.socket_path = socket_;
  Server server(options, hv_, *store_);
  EXPECT_EQ(support::ErrorText([&] { server.Listen(); }),
            socket_ + ": exists and is not a socket (remove it or pick another --socket)");
  EXPECT_TRUE(std::filesystem::exists(socket_));
}


// systemd's socket (broker/activation.h): served as it is, and still there,
// with its own mode, once the broker stops, for the next activation.
TEST_F(ServerTest, AnAdoptedSocketIsServedAndLeftInPlace) {
  StopServer();
  std::string path = dir_ + "/systemd.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ServerOptions options;
  options.socket_path = path;
  options.state_dir = dir_;
  options.resolve = [](uid_t uid) { return Identity{uid, "alice", false}; };
  Server server(options, hv_, *store_);
  server.Adopt(fd);
  std::thread serving([&] { server.Serve(); });
  Reply reply = Client(path).Call({Op::kWhoami, ""});
  server.Stop();
  serving.join();
  EXPECT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.user, "alice");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}


// A World on another lab host (issue 14): its VMs are listed, started,
// reverted and opened on that host's connection; that host down, they are
// "unreachable" and an action on one fails with the reason, while the
// connect host's VMs are served as ever.
TEST_F(ServerTest, AWorldOnAnotherLabHostIsServedThroughThatHost) {
  StopServer();
  fakes::FakeHypervisor h2;
  std::mutex h2_mu;
  bool down = false;
  store::HostRecord host;
  host.name = "h2";
  host.uri = "qemu+ssh://root@h2/system";
  host.storage_dir = "/var/lib/worlds";
  store_->AddHost(host);
  store_->SetWorldHost("lab1", "bob", "h2");
  h2.domains["w-lab1-bob-router"] = hv_.domains["w-lab1-bob-router"];
  hv_.domains.erase("w-lab1-bob-router");
  connect_host_ = [&](const std::string& name) -> std::unique_ptr<virt::Hypervisor> {
    if (name != "h2" || down) throw core::Error("lab host '" + name + "' cannot be reached");
    return std::make_unique<fakes::SharedHypervisor>(h2, h2_mu);
  };
  Listen();

  Be("bob");
  Reply list = Call(Op::kList);
  ASSERT_TRUE(list.ok) << list.error;
  ASSERT_EQ(list.vms.size(), 1u);
  EXPECT_EQ(list.vms[0].state, "shut off");
  Reply start = Call(Op::kStart, "w-lab1-bob-router");
  ASSERT_TRUE(start.ok) << start.error;
  EXPECT_EQ(h2.domains["w-lab1-bob-router"].state, virt::DomainState::kRunning);
  EXPECT_EQ(Call(Op::kList).vms[0].state, "running");
  Reply revert = Call(Op::kRevert, "w-lab1-bob-router");
  ASSERT_TRUE(revert.ok) << revert.error;
  EXPECT_EQ(h2.domains["w-lab1-bob-router"].state, virt::DomainState::kShutOff);

  down = true;
  StopServer();  // a new broker: no connection to h2 kept
  Listen();
  list = Call(Op::kList);
  ASSERT_TRUE(list.ok) << list.error;
  EXPECT_EQ(list.vms[0].state, "unreachable");
  start = Call(Op::kStart, "w-lab1-bob-router");
  EXPECT_FALSE(start.ok);
  EXPECT_NE(start.error.find("lab host 'h2' cannot be reached"), std::string::npos)
      << start.error;
  Be("alice");
  EXPECT_TRUE(Call(Op::kStart, "w-lab1-alice-router").ok) << "the connect host's VMs are served";
}

// A lab host that takes its time to connect (down, until ssh gives up)
// holds up the requests for its own Worlds only: a student whose World is
// on another lab host is served meanwhile.
TEST_F(ServerTest, ALabHostSlowToConnectHoldsUpOnlyItsOwnWorlds) {
  StopServer();
  fakes::FakeHypervisor h2, h3;
  std::mutex h_mu;
  for (const auto& [name, owner] : {std::pair{"h2", "bob"}, std::pair{"h3", "alice"}}) {
    store::HostRecord host;
    host.name = name;
    host.uri = std::string("qemu+ssh://root@") + name + "/system";
    host.storage_dir = "/var/lib/worlds";
    store_->AddHost(host);
    store_->SetWorldHost("lab1", owner, name);
  }
  for (const char* vm : {"w-lab1-alice-router", "w-lab1-alice-client"}) {
    h3.domains[vm] = hv_.domains[vm];
    hv_.domains.erase(vm);
  }
  h2.domains["w-lab1-bob-router"] = hv_.domains["w-lab1-bob-router"];
  hv_.domains.erase("w-lab1-bob-router");
  std::mutex mu;
  std::condition_variable cv;
  bool connecting = false, release = false;
  connect_host_ = [&](const std::string& name) -> std::unique_ptr<virt::Hypervisor> {
    if (name == "h2") {
      std::unique_lock<std::mutex> lock(mu);
      connecting = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      throw core::Error("lab host 'h2' cannot be reached: Connection timed out");
    }
    return std::make_unique<fakes::SharedHypervisor>(h3, h_mu);
  };
  Listen();

  Be("bob");
  std::thread slow([&] { EXPECT_FALSE(Call(Op::kStart, "w-lab1-bob-router").ok); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return connecting; }));
  }
  Be("alice");
  std::future<std::string> meanwhile = std::async(std::launch::async, [&] {
    Reply start = Call(Op::kStart, "w-lab1-alice-router");
    return start.ok ? "start ok" : start.error;
  });
  bool answered = meanwhile.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  slow.join();
  EXPECT_TRUE(answered) << "alice's start on h3 waited behind the connect to h2";
  EXPECT_EQ(meanwhile.get(), "start ok");
  EXPECT_EQ(h3.domains["w-lab1-alice-router"].state, virt::DomainState::kRunning);
}

}  // namespace
}  // namespace broker

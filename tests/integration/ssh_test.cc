// The student's SSH experience, end to end and all real: a deploy of the
// sample roster, Unix accounts made by `worlds users sync` with the menu as
// their login shell (students in group worlds-students), a real `worlds
// broker` on the default socket, a real sshd running Debian's default
// sshd_config plus the Worlds drop-in (as a lab host does), and `ssh -tt`
// in tmux pressing the keys a student would press.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <set>
#include <thread>

#include "accounts/sync.h"
#include "broker_client/client.h"
#include "integration/deploy_fixture.h"
#include "integration/ssh_harness.h"
#include "menu/model.h"
#include "menu/shell.h"
#include "store/store.h"
#include "support/accounts.h"

namespace {

constexpr const char* kAdmin = "witadmin";
constexpr const char* kAdminGroup = "worlds-admin";
const std::vector<std::string> kAccounts = {"alice", "bob", "carol", kAdmin};

// What the menu shows (src/menu/model.h, shell.h); the console's exit key
// is Ctrl-].
constexpr const char* kMenuTitle = "Worlds - ";
constexpr const char* kRevertQuestion = "to its clean snapshot? Everything written";
constexpr const char* kCommandRefused = menu::kCommandRefusedText;

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Whether something accepts connections on the Unix socket `path`.
bool SocketAnswers(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Connects to 127.0.0.1:port and returns what arrives in 2 s: "" when the
// connection is refused, "(closed)" when it is closed without a byte.
std::string FirstBytes(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n > 0) return std::string(buf, n);
  return n == 0 ? "(closed)" : "(nothing in 2 s)";
}

using it::AsUser;

// The whole set-up, made once for the suite (SshTest below): the deploy,
// the accounts, the broker and sshd. Its helpers are what the cases use.
class SshWorld : public it::DeployTest {
 public:
  std::string Name() const override { return "ssh"; }
  void TestBody() override {}
  using DeployTest::Global;
  using DeployTest::Lab;
  using DeployTest::state_dir_;

  // The checks and preparation that need no deploy yet.
  void Prepare() {
    DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    IT_REQUIRE(it::HaveSshTools(), "sshd, ssh, ssh-keygen and tmux (openssh-server, tmux)");
    IT_REQUIRE(::getuid() == 0, "root (the test creates Unix accounts and runs sshd)");
    for (const std::string& name : kAccounts) {
      IT_REQUIRE(!it::LookUpAccount(name).exists,
                 "no existing account named " + name +
                     " (the test creates alice, bob, carol and witadmin, then removes them)");
    }
    ASSERT_FALSE(SocketAnswers(broker::kDefaultSocket))
        << "a broker already answers on " << broker::kDefaultSocket
        << "; stop it before running this test (the test will not kill it)";
    admin_group_existed_ = ::getgrnam(kAdminGroup) != nullptr;
    student_group_existed_ = ::getgrnam(accounts::kStudentGroup) != nullptr;
    // The drop-in forces the built worlds-menu; the students' shell links to it.
    server_ = std::make_unique<it::SshServer>(dir_ + "/sshd", it::WorldsDropIn(WORLDS_MENU_BINARY));
    keys_dir_ = dir_ + "/pubkeys";
    for (const std::string& name : kAccounts) keys_[name] = server_->MakeClientKey(name, keys_dir_);
    tmux_ = "worlds-it-" + std::to_string(::getpid());
    prepared_ = true;
  }

  // Deploys, makes the accounts, starts the broker and sshd.
  void BringUp() {
    it::Run deploy = Deploy();
    ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
    ASSERT_NO_FATAL_FAILURE(SyncAccounts());
    ASSERT_NO_FATAL_FAILURE(StartBroker());
    std::string why;
    ASSERT_TRUE(server_->Start(&why)) << why;
    up_ = true;
  }

  bool prepared() const { return prepared_; }
  bool up() const { return up_; }

  void Finish() {
    if (!tmux_.empty()) it::Terminal::KillServer(tmux_);
    if (server_) server_->Stop();
    StopBroker();
    accounts_.RemoveAll();
    if (!admin_group_existed_ && ::getgrnam(kAdminGroup)) it::Exec({"groupdel", kAdminGroup});
    if (!student_group_existed_) it::RemoveGroupIfEmpty(accounts::kStudentGroup);
    if (!shell_.empty()) it::UnlistShell(shell_);
    if (!attempts_.empty()) {
      std::cout << "Escape attempts and what they got:\n";
      for (const auto& [attempt, got] : attempts_) std::cout << "  - " << attempt << ": " << got << "\n";
    }
    DeployTest::TearDown();
  }

  // --- setup steps -------------------------------------------------------

  void SyncAccounts() {
    std::filesystem::create_directories(dir_ + "/bin");
    shell_ = dir_ + "/bin/worlds-menu";
    std::filesystem::create_symlink(WORLDS_MENU_BINARY, shell_);
    it::Run sync = it::Worlds(Global({"users", "sync", "--roster", roster_, "--keys-dir",
                                      keys_dir_, "--admins", kAdmin, "--shell", shell_}));
    for (const std::string& name : kAccounts) {
      if (it::LookUpAccount(name).exists) accounts_.Adopt(name);
    }
    ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
    ASSERT_EQ(accounts_.adopted().size(), kAccounts.size()) << sync.out << sync.err;
  }

  void StartBroker() {
    broker_pid_ = ::fork();
    if (broker_pid_ == 0) {
      std::string log = dir_ + "/broker.log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<std::string> args = Global({"broker", "--foreground", "--socket",
                                              broker::kDefaultSocket});
      args.insert(args.begin(), WORLDS_BINARY);
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(WORLDS_BINARY, argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !SocketAnswers(broker::kDefaultSocket); ++i) Sleep(100);
    ASSERT_TRUE(SocketAnswers(broker::kDefaultSocket)) << it::ReadFile(dir_ + "/broker.log");
  }

  void StopBroker() {
    if (broker_pid_ <= 0) return;
    ::kill(broker_pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(broker_pid_, nullptr, WNOHANG) == broker_pid_) {
        broker_pid_ = -1;
        return;
      }
      Sleep(100);
    }
    ::kill(broker_pid_, SIGKILL);
    ::waitpid(broker_pid_, nullptr, 0);
    broker_pid_ = -1;
  }

  // --- the student's terminal --------------------------------------------

  std::unique_ptr<it::Terminal> Login(const std::string& user) {
    auto terminal = std::make_unique<it::Terminal>(
        tmux_, user + std::to_string(++sessions_), server_->SshArgv(user, keys_[user], {"-tt"}),
        dir_);
    EXPECT_TRUE(terminal->started()) << terminal->start_error();
    return terminal;
  }

  std::string Domain(const std::string& owner, const std::string& vm) const {
    return core::DomainName(Lab(), owner, vm);
  }

  bool WaitForState(const std::string& domain, const std::string& state, int seconds) {
    for (int i = 0; i < seconds * 5; ++i) {
      if (it::DomState(domain) == state) return true;
      Sleep(200);
    }
    return false;
  }

  // A one-line summary of a finished client: exit code and first stderr
  // line (what the person at the keyboard saw).
  static std::string Outcome(const it::Run& run) {
    std::string text = run.err.empty() ? run.out : run.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return "exit " + std::to_string(run.code) + ", \"" + text + "\"";
  }

  // Commands, subsystems and forwardings over SSH: none may run anything.
  void TryNonInteractiveEscapes(const std::string& user) {
    const std::string& key = keys_[user];
    std::string port = std::to_string(server_->port());
    it::Run sh = it::Exec(server_->SshArgv(user, key, {}, {"/bin/sh"}));
    Record("ssh " + user + "@host /bin/sh", Outcome(sh));
    EXPECT_NE(sh.code, 0) << sh.out << sh.err;
    EXPECT_NE((sh.out + sh.err).find(kCommandRefused), std::string::npos) << sh.out << sh.err;

    it::Run id = it::Exec(server_->SshArgv(user, key, {"-tt"}, {"id"}));
    Record("ssh -tt " + user + "@host id", Outcome(id));
    EXPECT_NE(id.code, 0);
    EXPECT_EQ((id.out + id.err).find("uid="), std::string::npos) << id.out << id.err;

    it::Run bash = it::Exec(server_->SshArgv(user, key, {}, {"bash", "-i"}));
    Record("ssh " + user + "@host bash -i", Outcome(bash));
    EXPECT_NE(bash.code, 0);

    std::vector<std::string> sftp = {"sftp", "-F", "/dev/null", "-i", key, "-P", port, "-o",
                                     "StrictHostKeyChecking=no", "-o",
                                     "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                                     "-o", "LogLevel=ERROR", "-b", "/dev/null",
                                     user + "@127.0.0.1"};
    it::Run sftp_run = it::Exec(sftp);
    Record("sftp " + user + "@host", Outcome(sftp_run));
    EXPECT_NE(sftp_run.code, 0);

    for (bool legacy : {false, true}) {
      std::vector<std::string> scp = {"scp", "-F", "/dev/null", "-i", key, "-P", port, "-o",
                                      "StrictHostKeyChecking=no", "-o",
                                      "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                                      "-o", "LogLevel=ERROR"};
      if (legacy) scp.push_back("-O");
      scp.push_back(user + "@127.0.0.1:/etc/shadow");
      scp.push_back(dir_ + "/copied");
      it::Run scp_run = it::Exec(scp);
      Record(std::string(legacy ? "scp -O (legacy scp protocol, runs `scp -f` through the "
                                  "login shell)"
                                : "scp (sftp protocol)") +
                 " " + user + "@host:/etc/shadow",
             Outcome(scp_run));
      EXPECT_NE(scp_run.code, 0);
      EXPECT_FALSE(std::filesystem::exists(dir_ + "/copied"));
    }

    // -W is the direct-tcpip channel that -L opens per connection.
    it::Run stdio_forward = it::Exec(server_->SshArgv(user, key, {"-W", "127.0.0.1:" + port}));
    Record("ssh -W 127.0.0.1:" + port + " (a forwarded connection, as -L makes)",
           Outcome(stdio_forward));
    EXPECT_NE(stdio_forward.code, 0);
    EXPECT_EQ(stdio_forward.out.find("SSH-2.0"), std::string::npos) << stdio_forward.out;

    it::Run remote_forward = it::Exec(server_->SshArgv(
        user, key, {"-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:22"}));
    Record("ssh -N -R (remote forwarding)", Outcome(remote_forward));
    EXPECT_NE(remote_forward.code, 0);

    it::Run socket_forward = it::Exec(server_->SshArgv(
        user, key,
        {"-N", "-o", "ExitOnForwardFailure=yes", "-R", dir_ + "/fwd.sock:" +
                                                            broker::kDefaultSocket}));
    Record("ssh -N -R socket:broker-socket (stream-local forwarding)", Outcome(socket_forward));
    EXPECT_NE(socket_forward.code, 0);
  }

  // ssh -N -L: the listener is local, so the refusal shows when a
  // connection comes through it.
  void TryLocalForward(const std::string& user) {
    int local_port = server_->port() + 1000;
    std::vector<std::string> argv = server_->SshArgv(
        user, keys_[user],
        {"-N", "-L", std::to_string(local_port) + ":127.0.0.1:" + std::to_string(server_->port())});
    // ssh reports a refused channel at INFO level.
    for (std::string& arg : argv) {
      if (arg == "LogLevel=ERROR") arg = "LogLevel=INFO";
    }
    auto forward = std::make_unique<it::Terminal>(tmux_, "forward", argv, dir_);
    ASSERT_TRUE(forward->started()) << forward->start_error();
    std::string banner;
    for (int i = 0; i < 50 && banner.empty(); ++i) {
      Sleep(200);
      banner = FirstBytes(local_port);
    }
    forward->WaitForScreen("prohibited", 5);
    std::string screen = forward->Screen();
    size_t channel = screen.find("channel");
    std::string said = channel == std::string::npos ? screen : screen.substr(channel);
    said = said.substr(0, said.find('\n'));
    Record("ssh -N -L " + std::to_string(local_port) + ":127.0.0.1:<sshd port>, then connect",
           "connection got \"" + banner + "\"; ssh said \"" + said + "\"");
    EXPECT_EQ(banner.find("SSH-2.0"), std::string::npos) << banner;
    EXPECT_NE(screen.find("administratively prohibited"), std::string::npos) << screen;
  }

  // Requests crafted by hand as `user` (no menu): the broker must go by the
  // socket's peer uid only.
  void TryCraftedRequests(const std::string& user, const std::string& others_domain) {
    std::string start = AsUser(user, [&] {
      broker::Client client(broker::kDefaultSocket);
      broker::Reply reply = client.Call({broker::Op::kStart, others_domain});
      return reply.ok ? std::string("ok, state ") + reply.state : "refused: " + reply.error;
    });
    Record("as " + user + " (uid " + std::to_string(it::LookUpAccount(user).uid) +
               "), broker::Client start " + others_domain,
           start);
    EXPECT_EQ(start.rfind("refused: ", 0), 0u) << start;
    EXPECT_EQ(it::DomState(others_domain), "shut off");

    std::string console = AsUser(user, [&] {
      broker::Client client(broker::kDefaultSocket);
      int fd = client.OpenConsole(others_domain);
      ::close(fd);
      return std::string("console opened");
    });
    Record("as " + user + ", broker::Client console " + others_domain, console);
    EXPECT_EQ(console.rfind("error: ", 0), 0u) << console;

    // A line that claims to be someone else: unknown fields are refused.
    std::string raw = AsUser(user, [&] {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", broker::kDefaultSocket);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return std::string("connect failed");
      }
      std::string line = "{\"v\":1,\"op\":\"start\",\"domain\":\"" + others_domain +
                         "\",\"user\":\"root\",\"uid\":0}\n";
      (void)!::write(fd, line.data(), line.size());
      std::string reply;
      char c;
      while (::read(fd, &c, 1) == 1 && c != '\n') reply += c;
      ::close(fd);
      return reply;
    });
    Record("as " + user + ", raw line start " + others_domain + " with \"user\":\"root\",\"uid\":0",
           raw);
    EXPECT_NE(raw.find("\"ok\":false"), std::string::npos) << raw;
    EXPECT_EQ(it::DomState(others_domain), "shut off");

    std::string list = AsUser(user, [&] {
      broker::Client client(broker::kDefaultSocket);
      broker::Reply reply = client.Call({broker::Op::kList, ""});
      std::set<std::string> owners;
      for (const broker::VmView& vm : reply.vms) owners.insert(vm.owner + ":" + vm.vm);
      std::string text;
      for (const std::string& owner : owners) text += owner + " ";
      return text;
    });
    EXPECT_EQ(list, user + ":client " + user + ":router ") << "list as " << user;
  }

  // Selects the menu row of `owner`'s `vm` by its number (keys 1-9).
  void SelectVm(it::Terminal& terminal, const std::string& owner, const std::string& vm) {
    std::istringstream screen(terminal.Screen());
    for (std::string line; std::getline(screen, line);) {
      if (line.find(" " + vm) == std::string::npos) continue;
      if (line.find(owner) == std::string::npos && owner_column_) continue;
      std::smatch m;
      if (std::regex_search(line, m, std::regex("^\\W*([1-9])\\b"))) {
        terminal.SendKeys({m[1].str()});
        Sleep(300);
        return;
      }
    }
    ADD_FAILURE() << "no menu row for " << owner << "'s " << vm << " in:\n" << terminal.Screen();
  }

  // A host shell's prompt or output on the screen: a line ending in "$" or
  // "#" (prompts), or what `uname -a` prints. The guest's own prompt
  // (root@<vm>-<owner>:...) is not the host's.
  static bool ShowsHostShell(const std::string& screen) {
    std::istringstream in(screen);
    for (std::string line; std::getline(in, line);) {
      if (line.find("GNU/Linux") != std::string::npos) return true;
      if (std::regex_search(line, std::regex("[$#]\\s*$")) &&
          !std::regex_search(line, std::regex("root@[a-z]+-[a-z]+:"))) {
        return true;
      }
    }
    return false;
  }

  // Presses `keys` in the menu; the menu must still be there and no host
  // shell must have appeared, also after typing a command a shell would run.
  void TryMenuEscape(it::Terminal& terminal, const std::string& label,
                     const std::vector<std::string>& keys) {
    terminal.SendKeys(keys);
    Sleep(700);
    // Letters that are no menu key, so a shell would run `uname -a`.
    terminal.Type("uname -a");
    terminal.SendKeys({"Enter"});
    Sleep(700);
    std::string screen = terminal.Screen();
    bool alive = terminal.Alive();
    bool menu = screen.find(kMenuTitle) != std::string::npos;
    bool shell = ShowsHostShell(screen);
    Record("menu: " + label + " then `uname -a` Enter",
           std::string(alive ? "session still open" : "session ended") +
               (menu ? ", menu still shown" : ", menu NOT shown") +
               (shell ? ", HOST SHELL" : ", no shell"));
    EXPECT_TRUE(alive) << label << "\n" << screen;
    EXPECT_TRUE(menu) << label << "\n" << screen;
    EXPECT_FALSE(shell) << label << "\n" << screen;
    // Back to a known state: dismiss whatever Enter opened.
    terminal.SendKeys({"Escape"});
    Sleep(300);
  }

  // In the console: Enter until the guest's root prompt shows after the
  // menu's console banner (older prompts of an earlier console session may
  // still be on the screen).
  bool WaitForGuestPrompt(it::Terminal& terminal, const std::string& owner,
                          const std::string& vm, int seconds) {
    std::string banner = menu::ConsoleBanner(vm);
    std::string prompt = "root@" + vm + "-" + owner + ":";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (int i = 1; std::chrono::steady_clock::now() < deadline; ++i) {
      std::string text = terminal.History();
      size_t at = text.rfind(banner);
      if (at != std::string::npos && text.find(prompt, at) != std::string::npos) return true;
      if (i % 15 == 0) terminal.SendKeys({"Enter"});
      Sleep(200);
    }
    return false;
  }

  // Types a guest command and waits for `expect` in its output.
  bool GuestRun(it::Terminal& terminal, const std::string& command, const std::string& expect,
                double seconds = 20) {
    terminal.Type(command);
    terminal.SendKeys({"Enter"});
    return terminal.WaitForScreen(expect, seconds);
  }

  bool owner_column_ = false;  // the admin's menu shows owners

  void Record(const std::string& attempt, const std::string& got) {
    attempts_.emplace_back(attempt, got);
  }

  std::unique_ptr<it::SshServer> server_;
  std::string keys_dir_, tmux_;
  std::string shell_;  // the menu symlink, in our temp dir
  std::map<std::string, std::string> keys_;
  support::StudentAccounts accounts_;  // made by `users sync`
  bool prepared_ = false, up_ = false;
  bool admin_group_existed_ = true;
  bool student_group_existed_ = true;
  pid_t broker_pid_ = -1;
  int sessions_ = 0;
  std::vector<std::pair<std::string, std::string>> attempts_;
};


// One deploy, one set of accounts, one broker and one sshd for every case
// (each is minutes of TCG boots and appliance launches). The cases run in
// the order written; the audit trail case counts the actions of the cases
// before it, so it runs only when they all ran.
class SshTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    started_ = std::chrono::steady_clock::now();
    world_ = new SshWorld;
    world_->Prepare();
    if (IsSkipped() || HasFatalFailure() || !world_->prepared()) return;
    world_->BringUp();
  }

  static void TearDownTestSuite() {
    if (world_) world_->Finish();
    delete world_;
    world_ = nullptr;
    std::cout << "ssh end-to-end flow took "
              << std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::steady_clock::now() - started_)
                     .count()
              << " s\n";
  }

  void SetUp() override {
    ASSERT_TRUE(world_ && world_->up()) << "the set-up failed (see the suite's failures)";
  }
  // Counts the cases whose actions the audit trail case expects.
  void TearDown() override {
    if (!HasFailure() && !IsSkipped()) ++passed_;
  }

  SshWorld& w() { return *world_; }

  static SshWorld* world_;
  static std::chrono::steady_clock::time_point started_;
  static int passed_;
};

SshWorld* SshTest::world_ = nullptr;
std::chrono::steady_clock::time_point SshTest::started_;
int SshTest::passed_ = 0;

// alice logs in and sees her World only.
TEST_F(SshTest, StudentSeesHerWorldOnly) {
  auto alice = w().Login("alice");
  ASSERT_TRUE(alice->WaitForScreen("router", 30)) << alice->Screen() << w().server_->Log();
  ASSERT_TRUE(alice->WaitForScreen("client", 5)) << alice->Screen();
  std::string menu = alice->Screen();
  EXPECT_NE(menu.find(kMenuTitle), std::string::npos) << menu;
  EXPECT_NE(menu.find(w().Lab()), std::string::npos) << menu;
  EXPECT_EQ(menu.find("bob"), std::string::npos) << menu;
  EXPECT_EQ(menu.find("carol"), std::string::npos) << menu;
}

// Keys that give a shell elsewhere do nothing here.
TEST_F(SshTest, ShellKeysDoNothingInTheMenu) {
  auto alice = w().Login("alice");
  ASSERT_TRUE(alice->WaitForScreen("client", 30)) << alice->Screen() << w().server_->Log();
  w().TryMenuEscape(*alice, "Ctrl-C", {"C-c"});
  w().TryMenuEscape(*alice, "Ctrl-Z", {"C-z"});
  w().TryMenuEscape(*alice, "Ctrl-\\", {"C-\\"});
  w().TryMenuEscape(*alice, "Ctrl-] (console key, outside the console)", {"C-]"});
  w().TryMenuEscape(*alice, "Escape", {"Escape"});
  w().TryMenuEscape(*alice, "`!sh` Enter (pager/vi-style shell escape)", {"!", "s", "h", "Enter"});
  w().TryMenuEscape(*alice, "`:!sh` Enter", {":", "!", "s", "h", "Enter"});
  w().TryMenuEscape(*alice, "Ctrl-D (EOF on a tty) is not a shell", {"C-d"});
  alice->SendKeys({"q"});
  EXPECT_TRUE(alice->WaitForExit(10)) << alice->Screen();
}

// Start, revert (confirmed), start, console; in the console the shell keys
// belong to her guest and Ctrl-] comes back. Then power off, revert, boot:
// the file written in the console is gone.
TEST_F(SshTest, StudentStartsRevertsAndUsesTheConsoleOfHerVm) {
  const std::string router = w().Domain("alice", "router");
  auto alice = w().Login("alice");
  ASSERT_TRUE(alice->WaitForScreen("client", 30)) << alice->Screen() << w().server_->Log();
  w().SelectVm(*alice, "alice", "router");
  alice->SendKeys({"s"});
  EXPECT_TRUE(w().WaitForState(router, "running", 30)) << alice->Screen();
  alice->SendKeys({"v"});
  EXPECT_TRUE(alice->WaitForScreen(kRevertQuestion, 10)) << alice->Screen();
  alice->SendKeys({"y"});
  EXPECT_TRUE(w().WaitForState(router, "shut off", 60)) << alice->Screen();
  alice->SendKeys({"s"});
  ASSERT_TRUE(w().WaitForState(router, "running", 30)) << alice->Screen();
  alice->SendKeys({"c"});
  ASSERT_TRUE(w().WaitForGuestPrompt(*alice, "alice", "router", 240)) << alice->Screen();
  ASSERT_TRUE(w().GuestRun(*alice, "echo hello > /root/marker; sync; cat /root/marker",
                           "\nhello"))
      << alice->Screen();
  // In the console the same keys belong to alice's own guest.
  for (const char* key : {"C-c", "C-z", "C-\\"}) {
    alice->SendKeys({key});
    Sleep(300);
  }
  bool guest_answers = w().GuestRun(*alice, "echo guest-$((6*7))", "guest-42");
  w().Record("console: Ctrl-C, Ctrl-Z, Ctrl-\\",
             guest_answers ? "went to the guest; its shell still answers" : "guest shell lost");
  EXPECT_TRUE(guest_answers) << alice->Screen();
  alice->SendKeys({"C-]"});
  bool back = alice->WaitForScreen(kMenuTitle, 10);
  w().Record("console: Ctrl-]", back ? "back in the menu" : "NOT back in the menu");
  ASSERT_TRUE(back) << alice->Screen();
  EXPECT_FALSE(SshWorld::ShowsHostShell(alice->Screen())) << alice->Screen();

  // Power off, revert, boot: the file written in the console is gone.
  w().SelectVm(*alice, "alice", "router");
  alice->SendKeys({"p"});
  EXPECT_TRUE(w().WaitForState(router, "shut off", 30)) << alice->Screen();
  alice->SendKeys({"v"});
  EXPECT_TRUE(alice->WaitForScreen(kRevertQuestion, 10)) << alice->Screen();
  alice->SendKeys({"y"});
  Sleep(2000);
  alice->SendKeys({"s"});
  ASSERT_TRUE(w().WaitForState(router, "running", 30)) << alice->Screen();
  alice->SendKeys({"c"});
  ASSERT_TRUE(w().WaitForGuestPrompt(*alice, "alice", "router", 240)) << alice->Screen();
  EXPECT_TRUE(w().GuestRun(*alice, "ls /root/marker", "No such file or directory"))
      << "the revert restored the clean disk\n" << alice->Screen();
  alice->SendKeys({"C-]"});
  ASSERT_TRUE(alice->WaitForScreen(kMenuTitle, 10)) << alice->Screen();
  w().SelectVm(*alice, "alice", "router");
  alice->SendKeys({"p"});
  EXPECT_TRUE(w().WaitForState(router, "shut off", 30)) << alice->Screen();
  alice->SendKeys({"q"});
  EXPECT_TRUE(alice->WaitForExit(10)) << alice->Screen();
}

// q ends the session without a shell.
TEST_F(SshTest, QuitEndsTheSessionWithoutAShell) {
  auto alice = w().Login("alice");
  ASSERT_TRUE(alice->WaitForScreen("client", 30)) << alice->Screen() << w().server_->Log();
  alice->SendKeys({"q"});
  bool ended = alice->WaitForExit(10);
  w().Record("menu: q", ended ? "SSH session ended (exit " +
                                    std::to_string(alice->ExitStatus()) + "), no shell"
                              : "session still open");
  EXPECT_TRUE(ended) << alice->Screen();
  EXPECT_FALSE(SshWorld::ShowsHostShell(alice->Screen())) << alice->Screen();
}

// Commands, subsystems and forwardings over SSH run nothing.
TEST_F(SshTest, CommandsSubsystemsAndForwardingsAreRefused) {
  w().TryNonInteractiveEscapes("alice");
  w().TryLocalForward("alice");
}

// Requests crafted by hand go by the socket's peer uid only.
TEST_F(SshTest, CraftedBrokerRequestsGoByThePeerUid) {
  w().TryCraftedRequests("alice", w().Domain("bob", "router"));
}

// The admin sees every World and reverts bob's router.
TEST_F(SshTest, AdminSeesEveryWorldAndRevertsAnyVm) {
  const std::string bobs_router = w().Domain("bob", "router");
  w().owner_column_ = true;
  auto admin = w().Login(kAdmin);
  ASSERT_TRUE(admin->WaitForScreen("carol", 30)) << admin->Screen() << w().server_->Log();
  std::string admin_menu = admin->Screen();
  for (const char* user : it::kUsers) {
    EXPECT_NE(admin_menu.find(user), std::string::npos) << user << "\n" << admin_menu;
  }
  w().SelectVm(*admin, "bob", "router");
  admin->SendKeys({"s"});
  EXPECT_TRUE(w().WaitForState(bobs_router, "running", 30)) << admin->Screen();
  admin->SendKeys({"v"});
  EXPECT_TRUE(admin->WaitForScreen(kRevertQuestion, 10)) << admin->Screen();
  admin->SendKeys({"y"});
  EXPECT_TRUE(w().WaitForState(bobs_router, "shut off", 60)) << admin->Screen();
  admin->SendKeys({"q"});
  EXPECT_TRUE(admin->WaitForExit(10)) << admin->Screen();
  w().owner_column_ = false;
}

// Every action of the cases above is in the audit trail, under the right uid.
TEST_F(SshTest, EveryActionIsInTheAuditTrail) {
  if (passed_ != 7) {
    GTEST_SKIP() << "counts the actions of the 7 cases before it; " << passed_
                 << " of them ran and passed (run the whole suite)";
  }
  const std::string router = w().Domain("alice", "router");
  const std::string bobs_router = w().Domain("bob", "router");
  const uid_t alice_uid = it::LookUpAccount("alice").uid;
  const uid_t admin_uid = it::LookUpAccount(kAdmin).uid;
  auto db = store::Store::Open(w().state_dir_ + "/state.db");
  std::vector<store::Event> events = db->Events({});
  auto count = [&](uid_t uid, const std::string& action, const std::string& target,
                   const std::string& result) {
    int n = 0;
    for (const store::Event& e : events) {
      n += e.uid == static_cast<int64_t>(uid) && e.action == action && e.target == target &&
           e.result == result;
    }
    return n;
  };
  EXPECT_EQ(count(alice_uid, "start", router, "ok"), 3);
  EXPECT_EQ(count(alice_uid, "revert", router, "ok"), 2);
  EXPECT_EQ(count(alice_uid, "console", router, "ok"), 2);
  EXPECT_EQ(count(alice_uid, "poweroff", router, "ok"), 2);
  EXPECT_EQ(count(alice_uid, "start", bobs_router, "refused"), 1);
  EXPECT_EQ(count(alice_uid, "console", bobs_router, "refused"), 1);
  EXPECT_GE(count(alice_uid, "request", "", "error"), 1) << "the raw line naming root";
  EXPECT_EQ(count(admin_uid, "start", bobs_router, "ok"), 1);
  EXPECT_EQ(count(admin_uid, "revert", bobs_router, "ok"), 1);
  for (const store::Event& e : events) {
    if (e.uid == static_cast<int64_t>(alice_uid)) {
      EXPECT_EQ(e.actor, "alice");
    } else if (e.uid == static_cast<int64_t>(admin_uid)) {
      EXPECT_EQ(e.actor, kAdmin);
    }
  }
  it::Run listed = it::Worlds(w().Global({"events", "--owner", "alice"}));
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find(router), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("revert"), std::string::npos) << listed.out;
}

}  // namespace

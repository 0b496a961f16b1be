// What a lab host gives a student over SSH with only Debian's default
// sshd_config plus Worlds' drop-in (data/ssh/worlds.conf.in): an account
// made by `worlds users sync` (so in group worlds-students), a real sshd,
// and every forwarding and command a client can ask for. The broker is not
// needed: the menu's own "cannot reach the broker" screen shows that the
// login got the menu.
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "accounts/sshd_check.h"
#include "accounts/sync.h"
#include "integration/ssh_harness.h"
#include "menu/model.h"
#include "menu/shell.h"
#include "support/accounts.h"
#include "support/temp_dir.h"

namespace {

constexpr const char* kStudent = "wst-ssh1";

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Up to 64 bytes, printable: "(closed)" for EOF, "(nothing in 3 s)".
std::string ReadSome(int fd) {
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n == 0) return "(closed)";
  if (n < 0) return "(nothing in 3 s)";
  std::string text;
  for (ssize_t i = 0; i < n; ++i) {
    unsigned char c = buf[i];
    if (c >= 0x20 && c < 0x7f) {
      text += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      text += hex;
    }
  }
  return text;
}

// Connects to a local forward's listener and says what came back.
std::string ThroughLocalForward(int port) {
  int fd = -1;
  for (int i = 0; i < 50 && fd < 0; ++i) {
    fd = Connect(port);
    if (fd < 0) Sleep(200);
  }
  if (fd < 0) return "(the listener never came up)";
  std::string got = ReadSome(fd);
  ::close(fd);
  return got;
}

// A SOCKS5 CONNECT to 127.0.0.1:target through ssh -D's listener at `port`:
// what the greeting and the request got, and the first bytes after.
std::string ThroughSocks(int port, int target) {
  int fd = -1;
  for (int i = 0; i < 50 && fd < 0; ++i) {
    fd = Connect(port);
    if (fd < 0) Sleep(200);
  }
  if (fd < 0) return "(the SOCKS listener never came up)";
  const unsigned char hello[] = {5, 1, 0};
  (void)!::write(fd, hello, sizeof hello);
  std::string greeting = ReadSome(fd);
  const unsigned char request[] = {5, 1, 0, 1, 127, 0, 0, 1,
                                   static_cast<unsigned char>(target >> 8),
                                   static_cast<unsigned char>(target & 0xff)};
  (void)!::write(fd, request, sizeof request);
  std::string reply = ReadSome(fd);
  ::close(fd);
  return "greeting got \"" + greeting + "\", CONNECT 127.0.0.1:" + std::to_string(target) +
         " got \"" + reply + "\"";
}

std::string Outcome(const it::Run& run) {
  std::string text = run.err.empty() ? run.out : run.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "exit " + std::to_string(run.code) + ", \"" + text + "\"";
}

class SshDropInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IT_REQUIRE(it::HaveSshTools(), "sshd, ssh, ssh-keygen and tmux (openssh-server, tmux)");
    IT_REQUIRE(::getuid() == 0, "root (the test creates a Unix account and runs sshd)");
    IT_REQUIRE(!it::LookUpAccount(kStudent).exists,
               std::string("no existing account named ") + kStudent);
    // The student's shell is run by sshd as the student: every directory
    // on its path must be searchable.
    temp_.emplace("worlds-it-sshdropin-", 0755, "/tmp");
    dir_ = temp_->path();
    group_existed_ = ::getgrnam(accounts::kStudentGroup) != nullptr;
    server_ = std::make_unique<it::SshServer>(dir_ + "/sshd", it::WorldsDropIn(WORLDS_MENU_BINARY));
    key_ = server_->MakeClientKey(kStudent, dir_ + "/pubkeys");
    tmux_ = "worlds-it-dropin-" + std::to_string(::getpid());
  }

  void TearDown() override {
    if (!tmux_.empty()) it::Terminal::KillServer(tmux_);
    if (server_) server_->Stop();
    accounts_.RemoveAll();
    const group* students = ::getgrnam(accounts::kStudentGroup);
    if (!group_existed_ && students && !students->gr_mem[0]) {
      it::Exec({"groupdel", accounts::kStudentGroup});
    }
    RemoveShellLine();
    if (!attempts_.empty()) {
      std::cout << "With Debian's default sshd_config and the Worlds drop-in, " << kStudent
                << " tried:\n";
      for (const auto& [attempt, got] : attempts_) std::cout << "  - " << attempt << ": " << got << "\n";
    }
  }

  // `worlds users sync` of a one-student roster, the shell a link in our
  // temp dir to the built worlds-menu (the drop-in forces that program).
  void SyncStudent() {
    std::filesystem::create_directories(dir_ + "/bin");
    shell_ = dir_ + "/bin/worlds-menu";
    std::filesystem::create_symlink(WORLDS_MENU_BINARY, shell_);
    std::ofstream(dir_ + "/roster.csv") << "username,full_name,group\n"
                                        << kStudent << ",Drop In Student,wst\n";
    it::Run sync = it::Worlds({"--state-dir", dir_ + "/state", "users", "sync", "--roster",
                               dir_ + "/roster.csv", "--keys-dir", dir_ + "/pubkeys", "--shell",
                               shell_});
    if (it::LookUpAccount(kStudent).exists) accounts_.Adopt(kStudent);
    ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
  }

  void RemoveShellLine() {
    if (shell_.empty()) return;
    std::istringstream in(it::ReadFile("/etc/shells"));
    std::string kept;
    bool found = false;
    for (std::string line; std::getline(in, line);) {
      if (line == shell_) {
        found = true;
      } else {
        kept += line + "\n";
      }
    }
    if (found) std::ofstream("/etc/shells", std::ios::trunc) << kept;
  }

  // `ssh -N <forward>` in a terminal of its own, so it stays up while the
  // test connects through its local listener.
  std::unique_ptr<it::Terminal> Forwarder(const std::string& name,
                                          const std::vector<std::string>& options) {
    std::vector<std::string> argv = server_->SshArgv(kStudent, key_, options);
    for (std::string& arg : argv) {
      if (arg == "LogLevel=ERROR") arg = "LogLevel=INFO";  // ssh reports a refused channel at INFO
    }
    auto terminal = std::make_unique<it::Terminal>(tmux_, name, argv, dir_);
    EXPECT_TRUE(terminal->started()) << terminal->start_error();
    return terminal;
  }

  // The ssh client's line about the refused channel, from its terminal.
  static std::string SshSaid(const it::Terminal& terminal) {
    terminal.WaitForScreen("prohibited", 5);
    std::string screen = terminal.Screen();
    size_t channel = screen.find("channel");
    std::string said = channel == std::string::npos ? screen : screen.substr(channel);
    return said.substr(0, said.find('\n'));
  }

  void Record(const std::string& attempt, const std::string& got) {
    attempts_.emplace_back(attempt, got);
  }

  std::optional<support::TempDir> temp_;
  std::string dir_, key_, tmux_, shell_;
  std::unique_ptr<it::SshServer> server_;
  support::StudentAccounts accounts_;
  bool group_existed_ = true;
  std::vector<std::pair<std::string, std::string>> attempts_;
};

TEST_F(SshDropInTest, StudentGetsTheMenuAndEveryForwardingIsRefused) {
  ASSERT_NO_FATAL_FAILURE(SyncStudent());
  const group* students = ::getgrnam(accounts::kStudentGroup);
  ASSERT_NE(students, nullptr) << "users sync made the group";

  // sshd's own word on the student's settings, judged as `worlds doctor` does.
  it::Run effective = it::Exec({"/usr/sbin/sshd", "-T", "-f", server_->config(), "-C",
                                std::string("user=") + kStudent + ",host=localhost,addr=127.0.0.1"});
  ASSERT_EQ(effective.code, 0) << effective.err;
  std::vector<accounts::SshdFinding> open =
      accounts::OpenForwardings(effective.out, WORLDS_MENU_BINARY);
  std::string open_text;
  for (const accounts::SshdFinding& f : open) open_text += f.ToString() + "; ";
  EXPECT_TRUE(open.empty()) << open_text;
  Record("sshd -T -C user=" + std::string(kStudent),
         open.empty() ? "no forwarding open, forcecommand the menu" : open_text);

  std::string why;
  ASSERT_TRUE(server_->Start(&why)) << why;
  const std::string port = std::to_string(server_->port());

  // An interactive login gets the menu (here its no-broker screen, unless a
  // broker happens to answer on the default socket).
  {
    it::Terminal login(tmux_, "login", server_->SshArgv(kStudent, key_, {"-tt"}), dir_);
    ASSERT_TRUE(login.started()) << login.start_error();
    bool menu = login.WaitForScreen(std::string("Worlds - ") + kStudent, 30);
    std::string screen = login.Screen();
    bool unavailable = screen.find("cannot reach the broker") != std::string::npos;
    Record("ssh -tt (interactive login)",
           menu ? std::string("the menu (\"Worlds - ") + kStudent + "\"" +
                      (unavailable ? ", its \"cannot reach the broker\" screen)" : ")")
                : "NO MENU: " + screen);
    EXPECT_TRUE(menu) << screen << server_->Log();
    login.SendKeys({"q"});
    EXPECT_TRUE(login.WaitForExit(10)) << login.Screen();
  }

  // A command: the forced menu refuses it (SSH_ORIGINAL_COMMAND is set).
  it::Run command = it::Exec(server_->SshArgv(kStudent, key_, {}, {"id"}));
  Record("ssh host id", Outcome(command));
  EXPECT_NE(command.code, 0);
  EXPECT_EQ(command.out.find("uid="), std::string::npos) << command.out;
  EXPECT_NE(command.err.find(menu::kCommandRefusedText), std::string::npos) << command.err;

  // The sftp subsystem: under ForceCommand it runs the menu, which refuses.
  it::Run sftp = it::Exec({"sftp", "-F", "/dev/null", "-i", key_, "-P", port, "-o",
                           "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                           "BatchMode=yes", "-o", "LogLevel=ERROR", "-b", "/dev/null",
                           std::string(kStudent) + "@127.0.0.1"});
  Record("sftp", Outcome(sftp));
  EXPECT_NE(sftp.code, 0);

  // -W: one direct-tcpip channel, the kind -L opens per connection.
  it::Run stdio = it::Exec(server_->SshArgv(kStudent, key_, {"-W", "127.0.0.1:" + port}));
  Record("ssh -W 127.0.0.1:<sshd port>", Outcome(stdio));
  EXPECT_NE(stdio.code, 0);
  EXPECT_EQ(stdio.out.find("SSH-2.0"), std::string::npos) << stdio.out;

  // -R: a listener on the lab host.
  it::Run remote = it::Exec(server_->SshArgv(
      kStudent, key_, {"-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:" + port}));
  Record("ssh -N -R 127.0.0.1:0:127.0.0.1:<sshd port>", Outcome(remote));
  EXPECT_NE(remote.code, 0);

  // -R to a Unix socket (stream-local forwarding).
  it::Run socket = it::Exec(server_->SshArgv(
      kStudent, key_,
      {"-N", "-o", "ExitOnForwardFailure=yes", "-R", dir_ + "/fwd.sock:127.0.0.1:" + port}));
  Record("ssh -N -R <socket path>:127.0.0.1:<sshd port>", Outcome(socket));
  EXPECT_NE(socket.code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/fwd.sock"));

  // -L: the listener is on the client; a connection through it is refused.
  int local = server_->port() + 1000;
  {
    auto forward = Forwarder("local", {"-N", "-L", std::to_string(local) + ":127.0.0.1:" + port});
    std::string got = ThroughLocalForward(local);
    std::string said = SshSaid(*forward);
    Record("ssh -N -L " + std::to_string(local) + ":127.0.0.1:<sshd port>, then connect",
           "connection got \"" + got + "\"; ssh said \"" + said + "\"");
    EXPECT_EQ(got.find("SSH-2.0"), std::string::npos) << got;
    EXPECT_NE(said.find("administratively prohibited"), std::string::npos) << said;
  }

  // -D: a SOCKS proxy on the client; its CONNECT is refused by sshd.
  int socks = server_->port() + 1001;
  {
    auto forward = Forwarder("socks", {"-N", "-D", std::to_string(socks)});
    std::string got = ThroughSocks(socks, server_->port());
    std::string said = SshSaid(*forward);
    Record("ssh -N -D " + std::to_string(socks) + ", then a SOCKS5 CONNECT to the sshd port",
           got + "; ssh said \"" + said + "\"");
    EXPECT_EQ(got.find("SSH-2.0"), std::string::npos) << got;
    EXPECT_NE(said.find("administratively prohibited"), std::string::npos) << said;
  }
}

}  // namespace

#include "integration/ssh_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace it {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Whether something listens on 127.0.0.1:port (connect succeeds).
bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Whether we could bind 127.0.0.1:port now (so sshd likely can too).
bool Free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

bool HaveSshTools() {
  return Executable(kSshd) && Executable("/usr/bin/ssh") && Executable("/usr/bin/ssh-keygen") &&
         Executable("/usr/bin/tmux");
}

Account LookUpAccount(const std::string& name) {
  Account account;
  if (const passwd* pw = ::getpwnam(name.c_str())) {
    account.uid = pw->pw_uid;
    account.gid = pw->pw_gid;
    account.exists = true;
  }
  return account;
}

std::string DebianDefaultSshdConfig() {
  const char* pristine = "/usr/share/openssh/sshd_config";
  return ReadFile(::access(pristine, R_OK) == 0 ? pristine : "/etc/ssh/sshd_config");
}

std::string WorldsDropIn(const std::string& menu_shell) {
  std::string text = ReadFile(std::string(WORLDS_SOURCE_DIR) + "/data/ssh/worlds.conf.in");
  const std::string placeholder = "@WORLDS_MENU_SHELL@";
  for (size_t at; (at = text.find(placeholder)) != std::string::npos;) {
    text.replace(at, placeholder.size(), menu_shell);
  }
  return text;
}

SshServer::SshServer(const std::string& dir, const std::string& drop_in)
    : dir_(dir), config_(dir + "/sshd_config") {
  std::filesystem::create_directories(dir_ + "/keys");
  ::chmod(dir_.c_str(), 0755);
  // sshd's privilege-separation directory; Debian creates it at boot only.
  ::mkdir("/run/sshd", 0755);
  std::string host_key = dir_ + "/ssh_host_ed25519_key";
  std::filesystem::remove(host_key);
  std::filesystem::remove(host_key + ".pub");
  Exec({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key});
  port_ = 22220 + ::getpid() % 1000;
  while (!Free(port_)) ++port_;
  WriteDebianConfigWith(drop_in, host_key);
}

// sshd keeps the first value it reads for most keywords, so the test's own
// lines go first; the Include is the only line of Debian's that is changed.
void SshServer::WriteDebianConfigWith(const std::string& drop_in, const std::string& host_key) {
  std::string drop_in_dir = dir_ + "/sshd_config.d";
  std::filesystem::create_directories(drop_in_dir);
  std::ofstream(drop_in_dir + "/worlds.conf") << drop_in;
  std::istringstream debian(DebianDefaultSshdConfig());
  std::ofstream config(config_);
  config << "# The test's changes to Debian's default sshd_config:\n"
         << "Port " << port_ << "\n"
         << "ListenAddress 127.0.0.1\n"
         << "HostKey " << host_key << "\n"
         << "PidFile " << dir_ << "/sshd.pid\n"
         << "# Debian's default sshd_config follows.\n";
  for (std::string line; std::getline(debian, line);) {
    if (line.rfind("Include ", 0) == 0) line = "Include " + drop_in_dir + "/*.conf";
    config << line << "\n";
  }
}

SshServer::~SshServer() { Stop(); }

bool SshServer::Start(std::string* why) {
  std::string log = dir_ + "/sshd.log";
  pid_ = ::fork();
  if (pid_ < 0) {
    *why = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // sshd re-executes itself, so it needs its absolute path.
    const char* argv[] = {kSshd, "-D", "-e", "-f", config_.c_str(), nullptr};
    ::execv(kSshd, const_cast<char* const*>(argv));
    ::_exit(127);
  }
  for (int i = 0; i < 100; ++i) {
    if (Accepts(port_)) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "sshd exited: " + Log();
      return false;
    }
    Sleep(100);
  }
  *why = "sshd did not listen on 127.0.0.1:" + std::to_string(port_) + ": " + Log();
  Stop();
  return false;
}

void SshServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    Sleep(100);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string SshServer::Log() const { return ReadFile(dir_ + "/sshd.log"); }

std::string SshServer::MakeClientKey(const std::string& user, const std::string& keys_dir) {
  std::string key = dir_ + "/keys/" + user;
  std::filesystem::remove(key);
  std::filesystem::remove(key + ".pub");
  Exec({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user + "@worlds-it", "-f", key});
  std::filesystem::create_directories(keys_dir);
  std::filesystem::copy_file(key + ".pub", keys_dir + "/" + user + ".pub",
                             std::filesystem::copy_options::overwrite_existing);
  return key;
}

std::vector<std::string> SshServer::SshArgv(const std::string& user, const std::string& key,
                                            const std::vector<std::string>& extra,
                                            const std::vector<std::string>& command) const {
  std::vector<std::string> argv = {"ssh",
                                   "-F",
                                   "/dev/null",
                                   "-i",
                                   key,
                                   "-p",
                                   std::to_string(port_),
                                   "-o",
                                   "StrictHostKeyChecking=no",
                                   "-o",
                                   "UserKnownHostsFile=/dev/null",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "LogLevel=ERROR"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(user + "@127.0.0.1");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Terminal::Terminal(const std::string& server, const std::string& name,
                   const std::vector<std::string>& argv, const std::string& config_dir)
    : server_(server), name_(name) {
  // remain-on-exit must hold before the program can end, so it comes from
  // the server's config file rather than a later set-option. exit-empty off
  // keeps the server up between tests: otherwise the kill-session of one
  // test makes it exit while the next test's new-session may already be
  // talking to it, and that new-session fails (seen in CI).
  std::string conf = config_dir + "/tmux.conf";
  std::ofstream(conf) << "set-option -s exit-empty off\n"
                      << "set-option -g remain-on-exit on\n"
                      << "set-option -g history-limit 5000\n"
                      << "set-option -g default-terminal screen\n"
                      << "set-option -g status off\n";
  std::vector<std::string> args = {"tmux", "-L", server_, "-f", conf, "new-session", "-d",
                                   "-s", name_, "-x", "80", "-y", "24"};
  // Several words after the options: tmux executes them directly, no shell.
  args.insert(args.end(), argv.begin(), argv.end());
  Run run = Exec(args);
  started_ = run.code == 0;
  if (!started_) start_error_ = "tmux new-session exit " + std::to_string(run.code) + ": " + run.err;
}

Terminal::~Terminal() {
  if (started_) Tmux({"kill-session", "-t", name_});
}

Run Terminal::Tmux(std::vector<std::string> args) const {
  args.insert(args.begin(), {"tmux", "-L", server_});
  return Exec(args);
}

std::string Terminal::Format(const std::string& format) const {
  Run run = Tmux({"display-message", "-p", "-t", name_, format});
  if (run.code != 0) return "";
  return run.out.substr(0, run.out.find('\n'));
}

void Terminal::SendKeys(const std::vector<std::string>& keys) {
  std::vector<std::string> args = {"send-keys", "-t", name_};
  args.insert(args.end(), keys.begin(), keys.end());
  Tmux(args);
}

void Terminal::Type(const std::string& text) { Tmux({"send-keys", "-t", name_, "-l", text}); }

void Terminal::SendBytes(const std::vector<unsigned char>& bytes) {
  std::vector<std::string> args = {"send-keys", "-t", name_, "-H"};
  for (unsigned char byte : bytes) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", byte);
    args.push_back(hex);
  }
  Tmux(args);
}

std::string Terminal::Screen() const { return Tmux({"capture-pane", "-p", "-t", name_}).out; }

std::string Terminal::History() const {
  return Tmux({"capture-pane", "-p", "-S", "-", "-t", name_}).out;
}

bool Terminal::WaitForScreen(const std::string& text, double seconds) const {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  do {
    if (Screen().find(text) != std::string::npos) return true;
    Sleep(200);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

bool Terminal::WaitForScreenWithout(const std::string& text, double seconds) const {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  do {
    if (Screen().find(text) == std::string::npos) return true;
    Sleep(200);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

bool Terminal::Alive() const { return Format("#{pane_dead}") == "0"; }

bool Terminal::WaitForExit(double seconds) const {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  do {
    if (!Alive()) return true;
    Sleep(200);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

int Terminal::ExitStatus() const {
  if (Format("#{pane_dead}") != "1") return -1;
  std::string status = Format("#{pane_dead_status}");
  return status.empty() ? -1 : std::stoi(status);
}

void Terminal::KillServer(const std::string& server) {
  Exec({"tmux", "-L", server, "kill-server"});
}

}  // namespace it

#include "integration/harness.h"

#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "process/process.h"

namespace it {

Run Exec(const std::vector<std::string>& argv) {
  process::Result result = process::Run(argv);
  return {result.exit_code, result.out, result.err};
}

Run Worlds(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {WORLDS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return Exec(argv);
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string TestImageDir() {
  const char* dir = std::getenv("WORLDS_TEST_IMAGE_DIR");
  std::string path = dir && *dir ? dir : std::string(WORLDS_SOURCE_DIR) + "/build/images";
  return std::filesystem::exists(path + "/tiny.qcow2") ? path : "";
}

std::string DomState(const std::string& domain) {
  std::string out = Exec({"virsh", "-c", "qemu:///system", "domstate", domain}).out;
  return out.substr(0, out.find('\n'));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string WorkerLogs(const std::string& state_dir) {
  std::string text;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(state_dir + "/logs", ec)) {
    if (entry.path().filename().string().rfind("worker-", 0) == 0) {
      text += ReadFile(entry.path().string());
    }
  }
  return text;
}

std::string AsUser(const std::string& user, const std::function<std::string()>& fn) {
  struct passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return "child failed: no such user " + user;
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "child failed: pipe";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string out;
    if (::initgroups(user.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0 ||
        ::setuid(0) == 0) {
      out = "child failed: could not become " + user;
    } else {
      try {
        out = fn();
      } catch (const std::exception& e) {
        out = std::string("error: ") + e.what();
      }
    }
    for (size_t done = 0; done < out.size();) {
      ssize_t n = ::write(pipe_fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += n;
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(pipe_fds[0]);
  ::waitpid(pid, nullptr, 0);
  return out;
}

std::string TypeUntil(int fd, const std::string& command, const std::string& expect,
                      std::chrono::seconds timeout) {
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto next_try = std::chrono::steady_clock::now();
  while (seen.find(expect) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) break;
    if (std::chrono::steady_clock::now() >= next_try) {
      if (::write(fd, command.data(), command.size()) < 0) break;
      next_try = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    if (::poll(&pfd, 1, 1000) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  return seen;
}

bool Running(const process::Child& child) {
  siginfo_t info = {};
  // WNOWAIT: look, leave the child to be reaped by Child::Wait.
  if (::waitid(P_PID, child.pid(), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  return info.si_pid == 0;
}

OutputReader::OutputReader(process::Child& child)
    : child_(child), thread_([this] {
        try {
          while (std::optional<std::string> line = child_.ReadLine()) text_ += *line + "\n";
        } catch (const std::exception& e) {
          error_ = e.what();
        }
      }) {}

OutputReader::~OutputReader() {
  if (!thread_.joinable()) return;
  child_.Kill();
  thread_.join();
}

std::string OutputReader::Finish() {
  if (thread_.joinable()) thread_.join();
  if (!error_.empty()) ADD_FAILURE() << "reading the child's output: " << error_;
  return text_;
}

void UnlistShell(const std::string& shell) {
  std::istringstream in(ReadFile("/etc/shells"));
  std::string kept;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    if (line == shell) {
      found = true;
    } else {
      kept += line + "\n";
    }
  }
  if (found) std::ofstream("/etc/shells", std::ios::trunc) << kept;
}

void RemoveGroupIfEmpty(const std::string& name) {
  const group* found = ::getgrnam(name.c_str());
  if (found && !found->gr_mem[0]) Exec({"groupdel", name});
}

std::string SourcePath(const std::string& relative) {
  return std::string(WORLDS_SOURCE_DIR) + "/" + relative;
}

pid_t SpawnBroker(const std::string& state_dir, const std::string& socket,
                  const std::string& log, const std::vector<std::string>& extra) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE* file = std::fopen(log.c_str(), "w");
    if (file) ::dup2(fileno(file), STDERR_FILENO);
    std::vector<std::string> args = {WORLDS_BINARY,  "--state-dir", state_dir, "broker",
                                     "--foreground", "--socket",    socket};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (std::filesystem::exists(socket)) return pid;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace it

// posix_spawn with pipes and poll: the child is started in one call (no
// fork of a threaded parent), every fd of ours is O_CLOEXEC, and both
// output pipes are drained together.
#include "process/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/error.h"

extern char** environ;

namespace process {
namespace {

// The Debian package that provides a program we run, for the fix text.
std::string InstallHint(const std::string& program) {
  if (program == "qemu-img") return "install qemu-utils (tools/install-deps)";
  if (program == "qemu-system-x86_64") return "install qemu-system-x86 (tools/install-deps)";
  if (program == "sha256sum") return "install coreutils (tools/install-deps)";
  if (program == "ssh-keygen") return "install openssh-client (tools/install-deps)";
  return "install it (tools/install-deps) or add its directory to PATH";
}

std::string Trim(const std::string& text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// The path to execute for argv[0], found the way execvp would find it.
std::string FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (!IsExecutableFile(program)) {
      throw core::Error("program '" + program + "' not found", "", InstallHint(program));
    }
    return program;
  }
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  for (;;) {
    size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (IsExecutableFile(candidate)) return candidate;
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  throw core::Error("program '" + program + "' not found in PATH", "", InstallHint(program));
}

void CheckArgv(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) {
    throw core::Error("internal error: a child process started without a program");
  }
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

void MakePipe(Fd* read_end, Fd* write_end, const std::string& program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw core::Error("cannot run '" + program + "': pipe: " + std::strerror(errno));
  }
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
}

// What the child's fds 0, 1 and 2 become; -1: /dev/null for stdin, ours
// for stdout and stderr.
struct Stdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// posix_spawn's attribute objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// Our environment with `changes` applied, as "NAME=value" strings.
std::vector<std::string> ChildEnvironment(const EnvChanges& changes, const std::string& program) {
  for (const auto& [name, value] : changes) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw core::Error("cannot run '" + program + "': invalid environment variable name '" +
                        name + "'");
    }
  }
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    if (changes.count(text.substr(0, text.find('='))) == 0) env.push_back(std::move(text));
  }
  for (const auto& [name, value] : changes) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

pid_t Launch(const std::string& exe, const std::vector<std::string>& argv, const Stdio& stdio,
             const EnvChanges& changes) {
  // Built before the spawn: posix_spawn must not be given a half-made list.
  std::vector<std::string> env_text;
  std::vector<char*> envp;
  if (!changes.empty()) {
    env_text = ChildEnvironment(changes, argv[0]);
    for (std::string& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
  }

  SpawnSetup setup;
  if (stdio.in >= 0) {
    ::posix_spawn_file_actions_adddup2(setup.actions(), stdio.in, 0);
  } else {
    ::posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", O_RDONLY, 0);
  }
  if (stdio.out >= 0) ::posix_spawn_file_actions_adddup2(setup.actions(), stdio.out, 1);
  if (stdio.err >= 0) ::posix_spawn_file_actions_adddup2(setup.actions(), stdio.err, 2);
  // A parent that ignores SIGPIPE (the broker) or blocks signals must not
  // pass that on: qemu-img and the workers expect the defaults.
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigmask(setup.attr(), &none);
  ::posix_spawnattr_setsigdefault(setup.attr(), &defaults);
  ::posix_spawnattr_setflags(setup.attr(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), setup.actions(), setup.attr(), args.data(),
                         changes.empty() ? environ : envp.data());
  if (rc != 0) {
    throw core::Error("cannot run '" + argv[0] + "': " + std::strerror(rc), exe);
  }
  return pid;
}

Status FromWaitStatus(int status) {
  Status result;
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

Status Reap(pid_t pid, const std::string& program) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw core::Error("cannot wait for '" + program + "': " + std::strerror(errno));
    }
  }
  return FromWaitStatus(status);
}

// Reads what is there from `fd` into `out`; false at end of file.
bool Drain(int fd, std::string* out, const std::string& program) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    throw core::Error("cannot read the output of '" + program + "': " + std::strerror(errno));
  }
}

}  // namespace

std::string Status::Describe() const {
  if (signal != 0) {
    return "was killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  }
  return "exited with status " + std::to_string(exit_code);
}

Result Run(const std::vector<std::string>& argv, const RunOptions& options) {
  CheckArgv(argv);
  std::string exe = FindProgram(argv[0]);
  Fd out_read, out_write, err_read, err_write;
  MakePipe(&out_read, &out_write, argv[0]);
  MakePipe(&err_read, &err_write, argv[0]);
  pid_t pid = Launch(exe, argv, {-1, out_write.get(), err_write.get()}, options.env);
  out_write.Reset();
  err_write.Reset();

  Result result;
  auto deadline = options.timeout
                      ? std::optional(std::chrono::steady_clock::now() + *options.timeout)
                      : std::nullopt;
  try {
    while (out_read.get() >= 0 || err_read.get() >= 0) {
      int wait_ms = -1;
      if (deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          // A grandchild may hold the pipes open forever: stop reading.
          ::kill(pid, SIGKILL);
          result.timed_out = true;
          break;
        }
        wait_ms = static_cast<int>(left.count());
      }
      pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, wait_ms);  // a negative fd is skipped by poll
      if (n < 0) {
        if (errno == EINTR) continue;
        throw core::Error("cannot read the output of '" + argv[0] + "': " +
                          std::strerror(errno));
      }
      if (fds[0].revents && !Drain(out_read.get(), &result.out, argv[0])) out_read.Reset();
      if (fds[1].revents && !Drain(err_read.get(), &result.err, argv[0])) err_read.Reset();
    }
  } catch (...) {
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    throw;
  }
  static_cast<Status&>(result) = Reap(pid, argv[0]);
  return result;
}

std::string RunChecked(const std::vector<std::string>& argv, const RunOptions& options) {
  Result result = Run(argv, options);
  if (result.ok()) return std::move(result.out);
  std::string message;
  if (result.timed_out) {
    message = "'" + argv[0] + "' did not finish within " +
              std::to_string(options.timeout->count()) + " ms and was killed";
  } else if (result.signal != 0) {
    message = "'" + argv[0] + "' " + result.Describe();
  } else {
    message = "'" + argv[0] + "' failed with exit code " + std::to_string(result.exit_code);
  }
  std::string err = Trim(result.err);
  if (!err.empty()) message += ": " + err;
  throw core::Error(message);
}

Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  CheckArgv(argv);
  std::string exe = FindProgram(argv[0]);
  Fd in_read, in_write, out_read, out_write, err_file;
  MakePipe(&in_read, &in_write, argv[0]);
  MakePipe(&out_read, &out_write, argv[0]);
  if (!options.stderr_file.empty()) {
    err_file.Reset(::open(options.stderr_file.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (err_file.get() < 0) {
      throw core::Error("cannot open the log of '" + argv[0] + "': " + std::strerror(errno),
                        options.stderr_file);
    }
  }
  pid_t pid = Launch(exe, argv, {in_read.get(), out_write.get(), err_file.get()}, options.env);
  Child child;
  child.program_ = argv[0];
  child.pid_ = pid;
  child.stdin_fd_ = in_write.Release();
  child.stdout_fd_ = out_read.Release();
  return child;
}

Child::Child(Child&& other) noexcept
    : program_(std::move(other.program_)),
      pid_(std::exchange(other.pid_, -1)),
      stdin_fd_(std::exchange(other.stdin_fd_, -1)),
      stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      buffer_(std::move(other.buffer_)),
      eof_(other.eof_),
      status_(std::move(other.status_)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Release();
    program_ = std::move(other.program_);
    pid_ = std::exchange(other.pid_, -1);
    stdin_fd_ = std::exchange(other.stdin_fd_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    buffer_ = std::move(other.buffer_);
    eof_ = other.eof_;
    status_ = std::move(other.status_);
  }
  return *this;
}

Child::~Child() { Release(); }

void Child::Release() noexcept {
  if (stdin_fd_ >= 0) ::close(std::exchange(stdin_fd_, -1));
  if (stdout_fd_ >= 0) ::close(std::exchange(stdout_fd_, -1));
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

void Child::Write(const std::string& data) {
  if (stdin_fd_ < 0) {
    throw core::Error("cannot write to '" + program_ + "': its input is closed");
  }
  // EPIPE instead of SIGPIPE, whatever the process's disposition: block the
  // signal on this thread, and take back one we caused.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t old_mask;
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigset_t pending;
  ::sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  int error = 0;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      error = errno;
      break;
    }
  }
  if (error == EPIPE && !was_pending) {
    timespec zero = {0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (error != 0) {
    throw core::Error("cannot write to '" + program_ + "' (pid " + std::to_string(pid_) +
                      "): " + std::strerror(error));
  }
}

void Child::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(std::exchange(stdin_fd_, -1));
}

std::optional<std::string> Child::ReadLine() {
  for (;;) {
    size_t end = buffer_.find('\n');
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return line;
    }
    if (eof_ || stdout_fd_ < 0) {
      if (buffer_.empty()) return std::nullopt;
      return std::exchange(buffer_, {});
    }
    if (!Drain(stdout_fd_, &buffer_, program_)) eof_ = true;
  }
}

bool Child::ReadSome(std::string* out) {
  if (!buffer_.empty()) {
    out->append(std::exchange(buffer_, {}));
    return true;
  }
  if (eof_ || stdout_fd_ < 0) return false;
  std::string got;
  if (!Drain(stdout_fd_, &got, program_)) eof_ = true;
  out->append(got);
  return !got.empty() || !eof_;
}

void Child::Kill(int signal) {
  if (pid_ > 0 && !status_) ::kill(pid_, signal);
}

Status Child::Wait() {
  if (status_) return *status_;
  if (pid_ <= 0) throw core::Error("internal error: Wait on a moved-from child process");
  CloseStdin();
  status_ = Reap(pid_, program_);
  return *status_;
}

}  // namespace process

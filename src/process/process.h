// Running child processes, the one way Worlds does it: a program and an argv
// vector, never a shell, never a command line built as a string. Run() is
// for a helper that runs to its end (qemu-img, sha256sum, ssh-keygen,
// useradd, a QEMU boot probe); Spawn() is for a long-running child we talk
// to through pipes (a deploy worker).
//
// Programs are looked up in PATH when argv[0] has no '/'. The child gets our
// environment (with the options' env changes), the default SIGPIPE disposition and an empty signal mask, and
// no file descriptor of ours beyond 0, 1 and 2 (every pipe is O_CLOEXEC), so
// Run and Spawn may be called from several threads at once.
#pragma once

#include <sys/types.h>

#include <csignal>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace process {

// How a child ended.
struct Status {
  // Its exit status; like a shell, 128 + N when it was killed by signal N.
  int exit_code = -1;
  int signal = 0;  // N when killed by signal N, else 0

  bool ok() const { return signal == 0 && exit_code == 0; }
  // "exited with status 3" or "was killed by signal 9 (Killed)".
  std::string Describe() const;
};

// Changes to our environment for one child: a value sets the variable,
// nullopt removes it; every other variable is passed on as it is. argv[0]
// is still looked up in our PATH. A name that is empty or holds '=' is a
// core::Error when the child is started.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

struct RunOptions {
  // When set and the child is still running after it, the child is killed
  // (SIGKILL) and the result says timed_out; its output so far is kept.
  std::optional<std::chrono::milliseconds> timeout;
  EnvChanges env = {};  // none: the child gets our environment as it is
};

struct Result : Status {
  bool timed_out = false;
  std::string out;  // everything the child wrote on stdout
  std::string err;  // everything the child wrote on stderr
};

// Runs argv[0] with the rest as its arguments, stdin from /dev/null, and
// waits for it, reading stdout and stderr as they come (a child filling
// both pipes cannot deadlock us). A non-zero exit is a Result, not an
// error. Throws core::Error when the program cannot be found ("program 'X'
// not found in PATH", with the package to install) or started.
Result Run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Run, then throws core::Error naming the program, how it ended and its
// trimmed stderr when it did not exit with 0. Returns stdout.
std::string RunChecked(const std::vector<std::string>& argv, const RunOptions& options = {});

struct SpawnOptions {
  // The child's stderr goes to this file (created or truncated, mode 0644);
  // empty: the child shares our stderr.
  std::string stderr_file;
  EnvChanges env = {};  // none: the child gets our environment as it is
};

// A long-running child: its stdin is a pipe we write, its stdout a pipe we
// read line by line, its stderr a file. Move-only.
//
// Lifetime: a Child that is destroyed while its process still runs kills it
// (SIGKILL) and reaps it, so no zombie and no orphan is left behind; the
// destructor never throws. Call Wait() to learn how it ended.
//
// Threads: ReadLine() may run on one thread (a reader) while another thread
// calls Kill(); every other call must come from one thread at a time, and
// Wait() only after the reader has returned or stopped reading.
class Child {
 public:
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }

  // Writes all of `data` to the child's stdin. Throws core::Error naming the
  // program when the child no longer reads (it exited: EPIPE, never
  // SIGPIPE) or stdin is already closed.
  void Write(const std::string& data);
  // Closes the child's stdin (it reads end of file). Idempotent.
  void CloseStdin();

  // The next line of the child's stdout without its '\n' (a last line
  // without one is returned too); nullopt at end of output, i.e. when the
  // child exited or closed its stdout. Blocks. Throws core::Error on a read
  // error.
  std::optional<std::string> ReadLine();

  // Appends the bytes the child's stdout has now (blocking until some come)
  // to `*out`, as they are (binary output); false at end of output. Do not
  // mix with ReadLine on one child.
  bool ReadSome(std::string* out);

  // Sends `signal` (default SIGKILL) to the child if it has not been reaped.
  void Kill(int signal = SIGKILL);

  // Waits for the child to end and returns how it ended. Closes stdin
  // first, so a child waiting for input sees end of file. Idempotent: a
  // second call returns the same Status.
  Status Wait();

 private:
  friend Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
  Child() = default;
  void Release() noexcept;

  std::string program_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;  // bytes read past the last returned line
  bool eof_ = false;
  std::optional<Status> status_;
};

// Starts argv[0] with the rest as its arguments (see Child). Returns once
// the program runs. Throws core::Error when it cannot be found or started,
// or when stderr_file cannot be opened.
Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

}  // namespace process

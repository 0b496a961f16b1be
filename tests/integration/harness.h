// Shared helpers for integration tests: run programs (argv, never a shell),
// find prerequisites, and fail in CI / skip elsewhere when one is missing.
#pragma once

#include <gtest/gtest.h>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "process/process.h"

namespace it {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH when it has no '/').
Run Exec(const std::vector<std::string>& argv);

// Runs the `worlds` binary under test with `args`.
Run Worlds(const std::vector<std::string>& args);

// True in CI (env CI=true): a missing prerequisite is then a failure.
bool InCi();

// The tiny test image dir (env WORLDS_TEST_IMAGE_DIR), or "" when absent.
std::string TestImageDir();

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);

// The worker logs (worker-N.log) of every deploy, drain and move under
// `state_dir`/logs, concatenated.
std::string WorkerLogs(const std::string& state_dir);

// `virsh domstate` of `domain` on qemu:///system: "running", "shut off", or
// the first line of virsh's error when it is not there.
std::string DomState(const std::string& domain);

// Runs `fn` in a child process that has become `user` for good (its
// groups, gid and uid; root cannot be regained) and returns what `fn`
// returned, "error: <what>" when it threw, or "child failed: ..." when the
// child could not become `user`.
std::string AsUser(const std::string& user, const std::function<std::string()>& fn);

// Forks `worlds --state-dir D broker --foreground --socket S` (as root,
// stderr into `log`, `extra` arguments after) and waits up to 10 s for its
// socket. Returns its pid;
// -1 when the socket never appeared (the child is then killed).
pid_t SpawnBroker(const std::string& state_dir, const std::string& socket,
                  const std::string& log,
                  const std::vector<std::string>& extra = {});

// Types `command` on the console `fd` (a broker's console stream) at once
// and again every 5 s until `expect` appears in what comes back, the stream
// ends, or `timeout` passes. Returns everything read.
std::string TypeUntil(int fd, const std::string& command, const std::string& expect,
                      std::chrono::seconds timeout);

// True while `child` has not ended. Does not reap it: Child::Wait still
// says how it ended.
bool Running(const process::Child& child);

// Reads a spawned child's stdout on a thread of its own, so the child never
// blocks on a full pipe while the test does other things. Destroying it
// kills the child first (a test that returns early neither hangs nor
// leaves the thread running); call Finish() to get the output.
class OutputReader {
 public:
  explicit OutputReader(process::Child& child);
  ~OutputReader();
  OutputReader(const OutputReader&) = delete;
  OutputReader& operator=(const OutputReader&) = delete;

  // Waits for the end of the child's output (it exited or closed stdout)
  // and returns it, each line ending in '\n'. Call once.
  std::string Finish();

 private:
  process::Child& child_;
  std::string text_;
  std::string error_;  // a read error, reported by Finish
  std::thread thread_;
};

// Takes the line `shell` out of /etc/shells, where `users sync` listed a
// test's menu shell; other lines stay as they are, and a file without it
// is not rewritten.
void UnlistShell(const std::string& shell);

// Removes Unix group `name` when it exists and has no members left (another
// test may have put accounts in it by now). For groups a test's `users
// sync` made: call it only when the group did not exist before.
void RemoveGroupIfEmpty(const std::string& name);

// Source tree path of a file in the repository.
std::string SourcePath(const std::string& relative);

}  // namespace it

// Use at the top of a test: fails in CI, skips visibly elsewhere.
#define IT_REQUIRE(condition, reason)                                  \
  do {                                                                 \
    if (!(condition)) {                                                \
      if (::it::InCi()) FAIL() << "missing prerequisite: " << (reason); \
      GTEST_SKIP() << "missing prerequisite: " << (reason);            \
    }                                                                  \
  } while (0)

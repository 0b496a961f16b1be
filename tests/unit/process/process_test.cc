#include "process/process.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace process {
namespace {

TEST(RunTest, RunsWithArgvAndCapturesOutput) {
  Result result = process::Run({"echo", "a b", "'c'", "$HOME"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "a b 'c' $HOME\n");  // no shell: nothing expanded
  EXPECT_EQ(result.err, "");
}

TEST(RunTest, ReportsExitCodeAndStderr) {
  Result result = process::Run({"qemu-img", "info", "/no/such/disk.qcow2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "qemu-img: Could not open '/no/such/disk.qcow2': "
            "Could not open '/no/such/disk.qcow2': No such file or directory\n");
}

TEST(RunTest, MissingProgramNamesItAndTheFix) {
  try {
    process::Run({"no-such-program-worlds", "x"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "program 'no-such-program-worlds' not found in PATH");
    EXPECT_EQ(e.fix(), "install it (tools/install-deps) or add its directory to PATH");
  }
  try {
    process::Run({"/no/such/bin/qemu-img"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "program '/no/such/bin/qemu-img' not found");
  }
}

TEST(RunTest, MissingQemuImgSuggestsQemuUtils) {
  const char* old_path = getenv("PATH");
  std::string saved = old_path != nullptr ? old_path : "";
  setenv("PATH", "/nonexistent", 1);
  try {
    process::Run({"qemu-img", "--version"});
    ADD_FAILURE() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.Describe(),
              "program 'qemu-img' not found in PATH (install qemu-utils (tools/install-deps))");
  }
  setenv("PATH", saved.c_str(), 1);
}

TEST(RunTest, RunCheckedQuotesProgramAndTrimmedStderr) {
  try {
    RunChecked({"qemu-img", "info", "/no/such/disk.qcow2"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(),
              "'qemu-img' failed with exit code 1: qemu-img: Could not open "
              "'/no/such/disk.qcow2': Could not open '/no/such/disk.qcow2': "
              "No such file or directory");
  }
  try {
    RunChecked({"false"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "'false' failed with exit code 1");
  }
  EXPECT_EQ(RunChecked({"printf", "%s", "ok"}), "ok");
}

TEST(RunTest, LargeStdoutIsReadWhole) {
  std::string out = RunChecked({"seq", "1", "200000"});
  EXPECT_EQ(out.size(), 1288895u);
  EXPECT_EQ(out.substr(0, 4), "1\n2\n");
  EXPECT_EQ(out.substr(out.size() - 7), "200000\n");
}

TEST(RunTest, LargeStderrAndStdoutTogetherDoNotDeadlock) {
  // sha256sum reports each missing file on stderr and each found one on
  // stdout: many of both fill both pipes past their 64 KiB buffers.
  std::vector<std::string> argv = {"sha256sum", "--"};
  for (int i = 0; i < 3000; ++i) {
    argv.push_back("/no/such/file/with/a/long/name/number/" + std::to_string(i));
    argv.push_back("/dev/null");
  }
  Result result = process::Run(argv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_GT(result.out.size(), 3000u * 60);
  EXPECT_GT(result.err.size(), 3000u * 60);
}

TEST(RunTest, TrueAndFalse) {
  Result ok = process::Run({"true"});
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.signal, 0);
  Result failed = process::Run({"false"});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.signal, 0);
  EXPECT_EQ(failed.Describe(), "exited with status 1");
}

TEST(RunTest, CapturesStdoutAndStderrApart) {
  Result result = process::Run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(RunTest, AChildKilledByASignalSaysWhich) {
  Result result = process::Run({"sh", "-c", "kill -TERM $$"});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.Describe(), "was killed by signal 15 (Terminated)");
  try {
    RunChecked({"sh", "-c", "echo dying >&2; kill -KILL $$"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "'sh' was killed by signal 9 (Killed): dying");
  }
}

TEST(RunTest, StdinIsEmpty) {
  Result result = process::Run({"cat"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
}

TEST(RunTest, TimeoutKillsTheChildAndKeepsItsOutput) {
  auto start = std::chrono::steady_clock::now();
  RunOptions options;
  options.timeout = std::chrono::milliseconds(300);
  Result result = process::Run({"sh", "-c", "echo started; exec sleep 30"}, options);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_EQ(result.out, "started\n");
  try {
    RunChecked({"sleep", "30"}, options);
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "'sleep' did not finish within 300 ms and was killed");
  }
  options.timeout = std::chrono::seconds(10);
  EXPECT_EQ(RunChecked({"echo", "fast"}, options), "fast\n");
}

// The mask in a /proc/<pid>/status line such as "SigIgn:\t0000000000001000".
unsigned long long SignalMask(const std::string& status, const std::string& field) {
  size_t at = status.find(field + ":\t");
  if (at == std::string::npos) return ~0ull;
  return std::stoull(status.substr(at + field.size() + 2, 16), nullptr, 16);
}

TEST(RunTest, TheChildGetsDefaultSigpipeAndNoBlockedSignals) {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action;
  ::sigaction(SIGPIPE, &ignore, &old_action);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t old_mask;
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  Result result = process::Run({"cat", "/proc/self/status"});  // cat reads its own status
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_action, nullptr);
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_EQ(SignalMask(result.out, "SigIgn") & (1ull << (SIGPIPE - 1)), 0u) << result.out;
  EXPECT_EQ(SignalMask(result.out, "SigBlk"), 0u) << result.out;
}

using support::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SpawnTest, TalksThroughStdinAndStdoutWithStderrInAFile) {
  TempDir dir;
  std::string log = dir.path() + "/child.log";
  Child child = Spawn({"sh", "-c", "while read line; do echo \"got $line\"; done; echo bye >&2"},
                      {log});
  EXPECT_GT(child.pid(), 0);
  child.Write("one\ntwo\n");
  child.CloseStdin();
  EXPECT_EQ(child.ReadLine(), std::optional<std::string>("got one"));
  EXPECT_EQ(child.ReadLine(), std::optional<std::string>("got two"));
  EXPECT_EQ(child.ReadLine(), std::nullopt);
  Status status = child.Wait();
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(child.Wait().exit_code, 0);  // idempotent
  EXPECT_EQ(ReadFile(log), "bye\n");
}

// The environment's lines that name one of `names`, in `env`'s output.
std::vector<std::string> EnvLines(const std::string& env, const std::vector<std::string>& names) {
  std::vector<std::string> lines;
  std::istringstream in(env);
  for (std::string line; std::getline(in, line);) {
    for (const std::string& name : names) {
      if (line.rfind(name + "=", 0) == 0) lines.push_back(line);
    }
  }
  return lines;
}

TEST(RunTest, EnvSetsReplacesAndRemovesVariablesForTheChildOnly) {
  ::setenv("WORLDS_TEST_KEPT", "kept", 1);
  ::setenv("WORLDS_TEST_REPLACED", "old", 1);
  ::setenv("WORLDS_TEST_REMOVED", "removed", 1);
  RunOptions options;
  options.env = {{"WORLDS_TEST_SET", std::string("a b=c $HOME")},
                 {"WORLDS_TEST_REPLACED", std::string("new")},
                 {"WORLDS_TEST_REMOVED", std::nullopt},
                 {"WORLDS_TEST_NEVER_SET", std::nullopt}};
  Result result = process::Run({"env"}, options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(EnvLines(result.out, {"WORLDS_TEST_KEPT", "WORLDS_TEST_REPLACED", "WORLDS_TEST_REMOVED",
                                  "WORLDS_TEST_NEVER_SET", "WORLDS_TEST_SET"}),
            (std::vector<std::string>{"WORLDS_TEST_KEPT=kept", "WORLDS_TEST_REPLACED=new",
                                      "WORLDS_TEST_SET=a b=c $HOME"}));
  EXPECT_STREQ(::getenv("WORLDS_TEST_REPLACED"), "old");  // ours is untouched
  EXPECT_STREQ(::getenv("WORLDS_TEST_REMOVED"), "removed");
  // Without changes the child gets ours as it is.
  Result plain = process::Run({"env"});
  EXPECT_EQ(EnvLines(plain.out, {"WORLDS_TEST_REPLACED", "WORLDS_TEST_REMOVED"}),
            (std::vector<std::string>{"WORLDS_TEST_REPLACED=old", "WORLDS_TEST_REMOVED=removed"}));
  for (const char* name : {"WORLDS_TEST_KEPT", "WORLDS_TEST_REPLACED", "WORLDS_TEST_REMOVED"}) {
    ::unsetenv(name);
  }
}

TEST(RunTest, AnInvalidEnvNameIsAnError) {
  RunOptions options;
  options.env = {{"A=B", std::string("x")}};
  EXPECT_EQ(support::ErrorText([&] { (void)process::Run({"true"}, options); }),
            "cannot run 'true': invalid environment variable name 'A=B'");
  options.env = {{"", std::string("x")}};
  EXPECT_EQ(support::ErrorText([&] { (void)process::Run({"true"}, options); }),
            "cannot run 'true': invalid environment variable name ''");
}

TEST(SpawnTest, EnvIsSetForTheChild) {
  SpawnOptions options;
  options.env = {{"WORLDS_TEST_SPAWNED", std::string("yes")}};
  Child child = Spawn({"printenv", "WORLDS_TEST_SPAWNED"}, options);
  EXPECT_EQ(child.ReadLine(), std::optional<std::string>("yes"));
  EXPECT_EQ(child.ReadLine(), std::nullopt);
  EXPECT_TRUE(child.Wait().ok());
  EXPECT_EQ(::getenv("WORLDS_TEST_SPAWNED"), nullptr);
}

TEST(SpawnTest, ALastLineWithoutNewlineIsReturned) {
  Child child = Spawn({"printf", "a\nb"});
  EXPECT_EQ(child.ReadLine(), std::optional<std::string>("a"));
  EXPECT_EQ(child.ReadLine(), std::optional<std::string>("b"));
  EXPECT_EQ(child.ReadLine(), std::nullopt);
  EXPECT_EQ(child.Wait().exit_code, 0);
}

TEST(SpawnTest, KillReportsTheSignal) {
  Child child = Spawn({"sleep", "30"});
  child.Kill();
  EXPECT_EQ(child.ReadLine(), std::nullopt);
  Status status = child.Wait();
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(status.Describe(), "was killed by signal 9 (Killed)");
}

TEST(SpawnTest, WritingToAChildThatExitedThrowsInsteadOfSigpipe) {
  Child child = Spawn({"true"});
  EXPECT_EQ(child.ReadLine(), std::nullopt);  // it has exited
  try {
    child.Write(std::string(1 << 20, 'x'));
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_NE(e.message().find("cannot write to 'true' (pid "), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("Broken pipe"), std::string::npos) << e.message();
  }
  EXPECT_TRUE(child.Wait().ok());
}

TEST(SpawnTest, DestroyingARunningChildKillsAndReapsIt) {
  pid_t pid;
  {
    Child child = Spawn({"sleep", "30"});
    pid = child.pid();
    Child moved = std::move(child);  // the moved-from one owns nothing
  }
  // Reaped: no such process (not even a zombie) is left for us to wait on.
  EXPECT_EQ(::kill(pid, 0), -1);
}

TEST(SpawnTest, MissingProgramAndUnwritableLogAreErrors) {
  try {
    Spawn({"no-such-program-worlds"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "program 'no-such-program-worlds' not found in PATH");
  }
  try {
    Spawn({"true"}, {"/no/such/dir/worker.log"});
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.Describe(),
              "/no/such/dir/worker.log: cannot open the log of 'true': "
              "No such file or directory");
  }
}

}  // namespace
}  // namespace process

#include "image/command.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/error_text.h"

namespace image {
namespace {

TEST(CommandTest, RunsWithArgvAndCapturesOutput) {
  CommandResult result = RunCommand({"echo", "a b", "'c'", "$HOME"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "a b 'c' $HOME\n");  // no shell: nothing expanded
  EXPECT_EQ(result.err, "");
}

TEST(CommandTest, ReportsExitCodeAndStderr) {
  CommandResult result = RunCommand({"qemu-img", "info", "/no/such/disk.qcow2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "qemu-img: Could not open '/no/such/disk.qcow2': "
            "Could not open '/no/such/disk.qcow2': No such file or directory\n");
}

TEST(CommandTest, MissingProgramNamesItAndTheFix) {
  {
    const core::Error e = support::ThrownError([&] {
      RunCommand({"no-such-program-worlds", "x"});
    });
    EXPECT_EQ(e.message(), "program 'no-such-program-worlds' not found in PATH");
    EXPECT_EQ(e.fix(), "install it (tools/install-deps) or add its directory to PATH");
  }
  {
    const core::Error e = support::ThrownError([&] { RunCommand({"/no/such/bin/qemu-img"}); });
    EXPECT_EQ(e.message(), "program '/no/such/bin/qemu-img' not found");
  }
}

TEST(CommandTest, MissingQemuImgSuggestsQemuUtils) {
  const char* old_path = getenv("PATH");
  std::string saved = old_path != nullptr ? old_path : "";
  setenv("PATH", "/nonexistent", 1);
  EXPECT_EQ(support::ErrorText([&] {
              RunCommand({"qemu-img", "--version"});
            }),
            "program 'qemu-img' not found in PATH (install qemu-utils (tools/install-deps))");
  setenv("PATH", saved.c_str(), 1);
}

TEST(CommandTest, RunCheckedQuotesProgramAndTrimmedStderr) {
  {
    const core::Error e = support::ThrownError([&] {
      RunChecked({"qemu-img", "info", "/no/such/disk.qcow2"});
    });
    EXPECT_EQ(e.message(),
              "'qemu-img' failed with exit code 1: qemu-img: Could not open "
              "'/no/such/disk.qcow2': Could not open '/no/such/disk.qcow2': "
              "No such file or directory");
  }
  {
    const core::Error e = support::ThrownError([&] { RunChecked({"false"}); });
    EXPECT_EQ(e.message(), "'false' failed with exit code 1");
  }
  EXPECT_EQ(RunChecked({"printf", "%s", "ok"}), "ok");
}

TEST(CommandTest, LargeStdoutIsReadWhole) {
  std::string out = RunChecked({"seq", "1", "200000"});
  EXPECT_EQ(out.size(), 1288895u);
  EXPECT_EQ(out.substr(0, 4), "1\n2\n");
  EXPECT_EQ(out.substr(out.size() - 7), "200000\n");
}

TEST(CommandTest, LargeStderrAndStdoutTogetherDoNotDeadlock) {
  // sha256sum reports each missing file on stderr and each found one on
  // stdout: many of both fill both pipes past their 64 KiB buffers.
  std::vector<std::string> argv = {"sha256sum", "--"};
  for (int i = 0; i < 3000; ++i) {
    argv.push_back("/no/such/file/with/a/long/name/number/" + std::to_string(i));
    argv.push_back("/dev/null");
  }
  CommandResult result = RunCommand(argv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_GT(result.out.size(), 3000u * 60);
  EXPECT_GT(result.err.size(), 3000u * 60);
}

}  // namespace
}  // namespace image

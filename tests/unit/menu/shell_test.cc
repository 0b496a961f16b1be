#include "menu/shell.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "broker_client/client.h"

namespace menu {
namespace {

TEST(ShellTest, RecognisesTheMenuShellByItsName) {
  EXPECT_TRUE(IsMenuShell("-worlds-menu"));  // sshd's login argv[0]
  EXPECT_TRUE(IsMenuShell("worlds-menu"));
  EXPECT_TRUE(IsMenuShell("/usr/local/bin/worlds-menu"));
  EXPECT_TRUE(IsMenuShell("--worlds-menu"));
  EXPECT_FALSE(IsMenuShell("worlds"));
  EXPECT_FALSE(IsMenuShell("/usr/local/bin/worlds"));
  EXPECT_FALSE(IsMenuShell("-bash"));
  EXPECT_FALSE(IsMenuShell("worlds-menu2"));
  EXPECT_FALSE(IsMenuShell("/worlds-menu/worlds"));
  EXPECT_FALSE(IsMenuShell(nullptr));
}

TEST(ShellTest, RefusesAnyCommand) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"-worlds-menu", "-c", "/bin/sh"},
        {"worlds-menu", "-c", "scp -f /etc/shadow"},
        {"worlds-menu", "-c", "/usr/lib/openssh/sftp-server"},
        {"worlds-menu", "-i"}}) {
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    testing::internal::CaptureStderr();
    int code =
        ShellMain(static_cast<int>(args.size()), argv.data(), "/nonexistent/broker.sock");
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_EQ(err, "This account offers only the Worlds menu; log in without a command.\n");
  }
}

// sshd with the drop-in's ForceCommand runs `worlds-menu -c <menu shell>`;
// what the client asked for is in SSH_ORIGINAL_COMMAND.
TEST(ShellTest, RunsTheMenuForALoginOrTheForcedCommandOnly) {
  auto is_shell = [](const std::string& path) { return path == "/usr/bin/worlds-menu"; };
  EXPECT_TRUE(MayRunMenu({}, std::nullopt, is_shell));
  EXPECT_TRUE(MayRunMenu({"-c", "/usr/bin/worlds-menu"}, std::nullopt, is_shell));
  // A command, scp, the sftp subsystem under ForceCommand: refused.
  for (const char* original : {"/bin/sh", "scp -f /etc/shadow", "/usr/lib/openssh/sftp-server",
                               "internal-sftp", ""}) {
    EXPECT_FALSE(MayRunMenu({"-c", "/usr/bin/worlds-menu"}, std::string(original), is_shell))
        << original;
    EXPECT_FALSE(MayRunMenu({}, std::string(original), is_shell)) << original;
  }
  EXPECT_FALSE(MayRunMenu({"-c", "/bin/sh"}, std::nullopt, is_shell));
  EXPECT_FALSE(MayRunMenu({"-c", "/usr/bin/worlds-menu", "x"}, std::nullopt, is_shell));
  EXPECT_FALSE(MayRunMenu({"-c"}, std::nullopt, is_shell));
  EXPECT_FALSE(MayRunMenu({"-i"}, std::nullopt, is_shell));
  EXPECT_FALSE(MayRunMenu({"/usr/bin/worlds-menu"}, std::nullopt, is_shell));
}

TEST(ShellTest, KnowsItsOwnPathThroughLinks) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  EXPECT_TRUE(NamesThisShell(self));
  std::string link = ::testing::TempDir() + "/worlds-menu-link-" + std::to_string(::getpid());
  ::unlink(link.c_str());
  ASSERT_EQ(::symlink(self, link.c_str()), 0);
  EXPECT_TRUE(NamesThisShell(link));
  ::unlink(link.c_str());
  EXPECT_FALSE(NamesThisShell("/bin/sh"));
  EXPECT_FALSE(NamesThisShell("/nonexistent/worlds-menu"));
}

TEST(ShellTest, RefusesTheForcedMenuWhenTheClientAskedForACommand) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  std::vector<std::string> args = {"worlds-menu", "-c", self};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::setenv("SSH_ORIGINAL_COMMAND", "/usr/lib/openssh/sftp-server", 1);
  testing::internal::CaptureStderr();
  int code = ShellMain(static_cast<int>(args.size()), argv.data(), "/nonexistent/broker.sock");
  std::string err = testing::internal::GetCapturedStderr();
  ::unsetenv("SSH_ORIGINAL_COMMAND");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(err, "This account offers only the Worlds menu; log in without a command.\n");
}

}  // namespace
}  // namespace menu

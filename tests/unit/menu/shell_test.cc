#include "menu/shell.h"

#include <gtest/gtest.h>

#include <cstdlib>

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
    int code = ShellMain(static_cast<int>(args.size()), argv.data());
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_EQ(err, "This account offers only the Worlds menu; log in without a command.\n");
  }
}

TEST(ShellTest, SocketFromFlagThenEnvThenDefault) {
  ::unsetenv("WORLDS_BROKER_SOCKET");
  EXPECT_EQ(BrokerSocket(""), broker::kDefaultSocket);
  EXPECT_EQ(BrokerSocket(""), std::string("/run/worlds/broker.sock"));
  ::setenv("WORLDS_BROKER_SOCKET", "", 1);
  EXPECT_EQ(BrokerSocket(""), "/run/worlds/broker.sock");
  ::setenv("WORLDS_BROKER_SOCKET", "/tmp/b.sock", 1);
  EXPECT_EQ(BrokerSocket(""), "/tmp/b.sock");
  EXPECT_EQ(BrokerSocket("/x.sock"), "/x.sock");
  ::unsetenv("WORLDS_BROKER_SOCKET");
}

}  // namespace
}  // namespace menu

#include "menu/console.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace menu {
namespace {

// A console (socketpair: [0] is ours, [1] the broker's side), and pipes for
// the terminal's input and output.
class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, console_), 0);
    ASSERT_EQ(::pipe(in_), 0);
    ASSERT_EQ(::pipe(out_), 0);
  }
  void TearDown() override {
    for (int fd : {console_[0], console_[1], in_[0], in_[1], out_[0], out_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
  static void Write(int fd, const std::string& text) {
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  static std::string ReadNow(int fd) {
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, n) : "";
  }
  RelayEnd Relay() { return RelayConsole(console_[0], in_[0], out_[1], nullptr); }

  int console_[2] = {-1, -1}, in_[2] = {-1, -1}, out_[2] = {-1, -1};
};

TEST_F(RelayTest, CtrlRightBracketEndsAfterSendingWhatCameBefore) {
  Write(console_[1], "login: ");
  Write(in_[1], std::string("ls\r\x03\x1a\x1c") + "\x1d" + "rm -rf /\r");
  EXPECT_EQ(Relay(), RelayEnd::kEscape);
  EXPECT_EQ(ReadNow(console_[1]), "ls\r\x03\x1a\x1c");  // Ctrl-C/Z/\ go to the guest
  EXPECT_EQ(ReadNow(out_[0]), "login: ");
}

TEST_F(RelayTest, BrokerClosingEndsTheRelay) {
  Write(console_[1], "bye\r\n");
  ::close(console_[1]);
  console_[1] = -1;
  EXPECT_EQ(Relay(), RelayEnd::kConsoleClosed);
  EXPECT_EQ(ReadNow(out_[0]), "bye\r\n");
}

TEST_F(RelayTest, EndOfInputEndsTheRelay) {
  ::close(in_[1]);
  in_[1] = -1;
  EXPECT_EQ(Relay(), RelayEnd::kInputClosed);
}

TEST_F(RelayTest, StopFlagIsHonoured) {
  volatile sig_atomic_t stop = 1;
  EXPECT_EQ(RelayConsole(console_[0], in_[0], out_[1], &stop), RelayEnd::kHangup);
}

TEST(RawTerminalTest, NotATerminalIsLeftAlone) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  { RawTerminal raw(fds[0]); }
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace menu

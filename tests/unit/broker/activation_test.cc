// TakeSystemdSocket against what systemd really hands over: real sockets
// moved to fd 3 (and 4) and the LISTEN_* environment of this process.
#include "broker/activation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/error_text.h"
#include "support/temp_dir.h"

namespace broker {
namespace {

class ActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Whatever the test runner left at fds 3 and 4 is put aside and back.
    for (int fd : {3, 4}) saved_.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 100));
  }

  void TearDown() override {
    for (int i = 0; i < 2; ++i) {
      int fd = 3 + i;
      if (saved_[i] >= 0) {
        ::dup2(saved_[i], fd);
        ::close(saved_[i]);
      } else {
        ::close(fd);
      }
    }
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(name);
  }

  // A socket of `type` bound at `path` (listening when `listen`), at `fd`.
  static void Place(int fd, int type, const std::string& path, bool listen) {
    int s = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen) ASSERT_EQ(::listen(s, 8), 0);
    if (s != fd) {  // else the lowest free fd was the one wanted
      ASSERT_EQ(::dup2(s, fd), fd);
      ::close(s);
    }
    ::fcntl(fd, F_SETFD, 0);  // as systemd passes it: inherited across exec
  }

  static void Pass(int count, long pid = ::getpid()) {
    ::setenv("LISTEN_PID", std::to_string(pid).c_str(), 1);
    ::setenv("LISTEN_FDS", std::to_string(count).c_str(), 1);
  }

  static bool Open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

  support::TempDir temp_{"worlds-activation-"};
  std::string socket_ = temp_.File("broker.sock");
  std::vector<int> saved_;
};

TEST_F(ActivationTest, NothingPassedMeansTheBrokerMakesItsSocket) {
  EXPECT_EQ(TakeSystemdSocket(socket_), std::nullopt);
}

TEST_F(ActivationTest, SocketsPassedToAnotherProcessAreNotTaken) {
  Place(3, SOCK_STREAM, socket_, true);
  Pass(1, ::getpid() + 1);
  EXPECT_EQ(TakeSystemdSocket(socket_), std::nullopt);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

TEST_F(ActivationTest, TakesTheListeningSocketAndClearsTheEnvironment) {
  Place(3, SOCK_STREAM, socket_, true);
  Pass(1);
  ::setenv("LISTEN_FDNAMES", "worlds-broker.socket", 1);
  EXPECT_EQ(TakeSystemdSocket(socket_), 3);
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);
  EXPECT_TRUE(::fcntl(3, F_GETFD) & FD_CLOEXEC);
}

TEST_F(ActivationTest, ADatagramSocketIsRefused) {
  Place(3, SOCK_DGRAM, socket_, false);
  Pass(1);
  EXPECT_EQ(support::ErrorText([&] { (void)TakeSystemdSocket(socket_); }),
            "LISTEN_FDS: the socket systemd passed (fd 3) is not a listening Unix stream "
            "socket (worlds-broker.socket must have exactly one ListenStream= with the "
            "broker's socket path, and Accept=no)");
  EXPECT_FALSE(Open(3));
}

TEST_F(ActivationTest, AConnectionInsteadOfTheListeningSocketIsRefused) {
  Place(3, SOCK_STREAM, socket_, false);  // what Accept=yes would pass
  Pass(1);
  EXPECT_THROW((void)TakeSystemdSocket(socket_), core::Error);
}

TEST_F(ActivationTest, TwoSocketsAreRefusedAndClosed) {
  Place(3, SOCK_STREAM, socket_, true);
  Place(4, SOCK_STREAM, temp_.File("other.sock"), true);
  Pass(2);
  EXPECT_EQ(support::ErrorText([&] { (void)TakeSystemdSocket(socket_); }),
            "LISTEN_FDS: systemd passed 2 sockets, the broker takes one (worlds-broker.socket "
            "must have exactly one ListenStream= with the broker's socket path, and "
            "Accept=no)");
  EXPECT_FALSE(Open(3));
  EXPECT_FALSE(Open(4));
}

TEST_F(ActivationTest, ASocketAtAnotherPathIsRefused) {
  std::string other = temp_.File("other.sock");
  Place(3, SOCK_STREAM, other, true);
  Pass(1);
  EXPECT_EQ(support::ErrorText([&] { (void)TakeSystemdSocket(socket_); }),
            "LISTEN_FDS: systemd passed a socket on '" + other + "', the broker is set to '" +
                socket_ +
                "' (make worlds-broker.socket's ListenStream= and the broker's --socket the "
                "same path)");
}

}  // namespace
}  // namespace broker

#include "broker/activation.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstring>

#include "core/error.h"

namespace broker {
namespace {

constexpr const char* kUnitFix =
    "worlds-broker.socket must have exactly one ListenStream= with the broker's "
    "socket path, and Accept=no";

// Where `fd` is bound ("" when unnamed or not AF_UNIX).
std::string BoundPath(int fd) {
  struct sockaddr_un addr = {};
  socklen_t length = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) < 0 ||
      addr.sun_family != AF_UNIX || length <= offsetof(sockaddr_un, sun_path)) {
    return "";
  }
  return std::string(addr.sun_path,
                     strnlen(addr.sun_path, length - offsetof(sockaddr_un, sun_path)));
}

}  // namespace

std::optional<int> TakeSystemdSocket(const std::string& socket_path) {
  // unset_environment=1: whatever happens next, no child sees LISTEN_*.
  int n = sd_listen_fds(1);
  if (n < 0) {
    throw core::Error(std::string("cannot read the sockets systemd passed: ") + std::strerror(-n),
                      "LISTEN_FDS", kUnitFix);
  }
  if (n == 0) return std::nullopt;
  if (n != 1) {
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) ::close(fd);
    throw core::Error("systemd passed " + std::to_string(n) + " sockets, the broker takes one",
                      "LISTEN_FDS", kUnitFix);
  }
  int fd = SD_LISTEN_FDS_START;
  int is_unix = sd_is_socket_unix(fd, SOCK_STREAM, /*listening=*/1, nullptr, 0);
  if (is_unix <= 0) {
    ::close(fd);
    throw core::Error("the socket systemd passed (fd 3) is not a listening Unix stream socket",
                      "LISTEN_FDS", kUnitFix);
  }
  std::string bound = BoundPath(fd);
  if (bound != socket_path) {
    ::close(fd);
    throw core::Error(
        "systemd passed a socket on '" + bound + "', the broker is set to '" + socket_path + "'",
        "LISTEN_FDS",
        "make worlds-broker.socket's ListenStream= and the broker's --socket "
        "the same path");
  }
  return fd;
}

}  // namespace broker

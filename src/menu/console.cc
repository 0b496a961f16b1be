// The console relay. Plain poll() on two fds: the broker already turned the
// libvirt stream into a socket, so there is nothing else to wait on.
#include "menu/console.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "menu/model.h"

namespace menu {
namespace {

// Writes all of `data`; false when `fd` is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

RelayEnd RelayConsole(int console_fd, int in_fd, int out_fd, const volatile sig_atomic_t* stop) {
  char buf[4096];
  for (;;) {
    if (stop && *stop) return RelayEnd::kHangup;
    struct pollfd fds[2] = {{in_fd, POLLIN, 0}, {console_fd, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return RelayEnd::kInputClosed;
    }
    // The console first: what the guest printed is shown before we leave.
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      ssize_t n = ::read(console_fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return RelayEnd::kConsoleClosed;
      if (!WriteAll(out_fd, buf, static_cast<size_t>(n))) return RelayEnd::kInputClosed;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return RelayEnd::kInputClosed;
      const void* escape = std::memchr(buf, kConsoleEscapeByte, static_cast<size_t>(n));
      size_t send = escape ? static_cast<size_t>(static_cast<const char*>(escape) - buf)
                           : static_cast<size_t>(n);
      if (send > 0 && !WriteAll(console_fd, buf, send)) return RelayEnd::kConsoleClosed;
      if (escape) return RelayEnd::kEscape;
    }
  }
}

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &original_) != 0) return;
  saved_ = true;
  struct termios raw = original_;
  ::cfmakeraw(&raw);
  ::tcsetattr(fd, TCSAFLUSH, &raw);
}

RawTerminal::~RawTerminal() {
  if (saved_) ::tcsetattr(fd_, TCSAFLUSH, &original_);
}

}  // namespace menu

// A console session: guest output goes out on a thread of its own (it blocks
// in ConsoleStream::Read); client input comes in on the connection's thread.
// Whichever side ends first ends the other: the client leaving closes the
// stream (waking the blocked Read), the console ending shuts the socket down
// (waking the blocked recv).
#include <sys/socket.h>

#include <cerrno>
#include <iostream>
#include <mutex>
#include <thread>

#include "broker/connection.h"
#include "core/error.h"

namespace broker {

void RelayConsole(int fd, virt::ConsoleStream& stream, const std::string& pending,
                  std::mutex& send_mu) {
  std::thread guest_to_client([fd, &stream, &send_mu] {
    char buffer[4096];
    try {
      for (;;) {
        size_t n = stream.Read(buffer, sizeof buffer);
        if (n == 0) break;
        std::lock_guard<std::mutex> lock(send_mu);  // ConsoleSessions::Tell sends too
        if (!SendAll(fd, buffer, n)) break;
      }
    } catch (const core::Error& e) {
      std::cerr << "worlds broker: console: " << e.Describe() << std::endl;
    }
    ::shutdown(fd, SHUT_RDWR);
  });
  try {
    if (!pending.empty()) stream.Write(pending.data(), pending.size());
    char buffer[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      stream.Write(buffer, static_cast<size_t>(n));
    }
  } catch (const core::Error& e) {
    // The console went away under a write; the reader sees it too.
    std::cerr << "worlds broker: console: " << e.Describe() << std::endl;
  }
  stream.Close();
  guest_to_client.join();
}

}  // namespace broker

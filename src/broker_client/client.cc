// The menu's side of the socket: one line out, one line back.
#include "broker_client/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace broker {
namespace {

constexpr size_t kMaxReplyBytes = 16 << 20;  // a list of every VM fits easily

core::Error Lost(const std::string& socket_path) {
  return core::Error("lost the connection to the Worlds broker: " +
                         std::string(std::strerror(errno)),
                     socket_path);
}

// One reply line from `fd`. With `exact`, nothing past the '\n' is consumed
// (peek, then read just the line): after a console reply, the bytes that
// follow are the console's and belong to whoever gets the fd.
std::string ReadLine(int fd, const std::string& socket_path, std::string* buffer, bool exact) {
  for (;;) {
    size_t end = buffer->find('\n');
    if (end != std::string::npos) {
      std::string line = buffer->substr(0, end);
      buffer->erase(0, end + 1);
      return line;
    }
    if (buffer->size() > kMaxReplyBytes) {
      throw core::Error("the Worlds broker's reply is too long", socket_path);
    }
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, exact ? MSG_PEEK : 0);
    if (n > 0 && exact) {
      const char* newline = static_cast<const char*>(std::memchr(chunk, '\n', n));
      size_t take = newline ? static_cast<size_t>(newline - chunk + 1) : static_cast<size_t>(n);
      n = ::recv(fd, chunk, take, 0);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) throw core::Error("the Worlds broker closed the connection", socket_path);
    if (n < 0) throw Lost(socket_path);
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

Client::Client(const std::string& socket_path) : socket_path_(socket_path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  int err = ENAMETOOLONG;
  if (socket_path.size() < sizeof addr.sun_path) {
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      return;
    }
    err = errno;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  throw core::Error("cannot reach the Worlds broker at " + socket_path + ": " +
                    std::strerror(err) + " (is `worlds broker` running?)");
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Reply Client::Call(const Request& request) {
  if (fd_ < 0) throw core::Error("this broker connection was handed to a console", socket_path_);
  std::string line = EncodeRequest(request) + "\n";
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A broker that refuses us (busy) answers and closes before reading:
      // its reply is still ours to read, and says more than EPIPE.
      int err = errno;
      try {
        return ParseReply(ReadLine(fd_, socket_path_, &buffer_, false));
      } catch (const core::Error&) {
        errno = err;
        throw Lost(socket_path_);
      }
    }
    sent += static_cast<size_t>(n);
  }
  return ParseReply(ReadLine(fd_, socket_path_, &buffer_, request.op == Op::kConsole));
}

int Client::OpenConsole(const std::string& domain) {
  Request request;
  request.op = Op::kConsole;
  request.domain = domain;
  Reply reply = Call(request);
  if (!reply.ok) throw core::Error(reply.error);
  if (!reply.console) throw core::Error("the Worlds broker did not open the console", domain);
  // Call read the console reply exactly, so no console byte is left in
  // buffer_: the fd carries them all.
  int fd = fd_;
  fd_ = -1;
  return fd;
}

}  // namespace broker

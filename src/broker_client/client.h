// The unprivileged side of the broker: what `worlds menu` uses. Connects to
// the broker's Unix socket; the broker knows who we are from the socket.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "broker_client/protocol.h"

namespace broker {

inline constexpr const char* kDefaultSocket = "/run/worlds/broker.sock";

class Client {
 public:
  // Throws core::Error naming the socket (and "is `worlds broker` running?")
  // when it cannot connect.
  explicit Client(const std::string& socket_path);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One request, one reply. Throws core::Error on a transport failure or a
  // malformed reply; a refused action comes back as Reply{ok=false}.
  Reply Call(const Request& request);

  // Sends a console request; on success returns a file descriptor (owned by
  // the caller) that carries the VM's serial console both ways. Throws
  // core::Error with the broker's message otherwise. This Client is
  // unusable afterwards.
  int OpenConsole(const std::string& domain);

 private:
  std::string socket_path_;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the last reply line
};

}  // namespace broker

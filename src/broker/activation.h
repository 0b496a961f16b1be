// Socket activation: systemd (worlds-broker.socket, or systemd-socket-activate)
// makes the broker's listening socket before the broker runs and passes it
// as fd 3 with LISTEN_PID and LISTEN_FDS in the environment (sd_listen_fds(3)).
#pragma once

#include <optional>
#include <string>

namespace broker {

// The listening socket systemd passed this process, owned by the caller;
// std::nullopt when no socket was passed to this process (LISTEN_PID unset
// or another process's pid). Always clears LISTEN_PID, LISTEN_FDS and
// LISTEN_FDNAMES, so no child takes the socket for its own; the fd is
// close-on-exec. Throws core::Error, having closed what was passed, unless
// exactly one socket was passed and it is an AF_UNIX stream socket that
// listens on `socket_path` (the broker's --socket): a socket bound
// elsewhere would leave students' menus knocking at an empty path.
std::optional<int> TakeSystemdSocket(const std::string& socket_path);

}  // namespace broker

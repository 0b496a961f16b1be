// One client of the broker, served on its own thread (internal to broker/).
#pragma once

#include <mutex>

#include "broker/server.h"

namespace broker {

// Reads requests from `fd` and answers them until the client leaves, sends
// something unacceptable (an oversized line), stays idle too long, or a
// console session on it ends. Never throws; does not close `fd`.
void ServeConnection(Backend& backend, int fd);

// The bytes of a console session, both ways, between the client socket `fd`
// and `stream`, until either side ends (internal; console_relay.cc).
// `pending` are client bytes already read past the console request; the
// guest's output is sent under `send_mu` (ConsoleSessions::Session's).
void RelayConsole(int fd, virt::ConsoleStream& stream, const std::string& pending,
                  std::mutex& send_mu);

// Writes all of `data` to the socket; false when the peer is gone.
bool SendAll(int fd, const char* data, size_t size);

}  // namespace broker

// What the menu needs from the Worlds broker, behind an interface so the
// menu's logic is tested without a socket or a terminal (tests use a fake).
#pragma once

#include <memory>
#include <string>

#include "broker_client/protocol.h"

namespace menu {

class Backend {
 public:
  virtual ~Backend() = default;

  // The caller's VMs as the broker lists them (Reply::vms), or the broker's
  // refusal (ok=false). Throws core::Error when the broker cannot be reached
  // or answers garbage.
  virtual broker::Reply List() = 0;

  // start/shutdown/poweroff/revert on `domain`. A refused action comes back
  // as ok=false with the broker's message; throws core::Error on a
  // transport failure.
  virtual broker::Reply Act(broker::Op op, const std::string& domain) = 0;

  // Opens `domain`'s serial console; returns a file descriptor the caller
  // owns and must close. Throws core::Error with the broker's message (e.g.
  // the VM is not running) or a transport failure.
  virtual int OpenConsole(const std::string& domain) = 0;
};

// The real one: a new broker::Client (one connection) per call, so a broker
// restart between two key presses is harmless.
std::unique_ptr<Backend> NewBrokerBackend(const std::string& socket_path);

}  // namespace menu

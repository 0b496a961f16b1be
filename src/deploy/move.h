// Draining a lab host (issue 14): every World on it moves, whole, to the
// other hosts. A World's shut-off VMs move with their disks: each overlay is
// copied to the new host (its sha256 compared on both sides), the World is
// built there over the copies as a deploy re-defines kept overlays (networks,
// domains, `clean` re-registered: the snapshot lives in the overlay). Its
// running VMs move live (libvirt migration, the disk's top layer copied
// into a copy of its `clean` sent ahead) and keep running. Only then is the
// World removed from the old host.
#pragma once

#include <ostream>
#include <string>

#include "deploy/env.h"
#include "deploy/operations.h"

namespace deploy {

// Moves every World on lab host `host` (which must be in the inventory and
// draining) to the host placement gives it (hosts::Place over the others).
// A World that cannot move (no host has room, a copy, the build or a
// migration failing) stays where it is, whole, and is reported; the others
// move. Returns true when every World moved. Throws core::Error when the
// host is unknown or not draining, or the state cannot be locked.
bool DrainHost(const Context& context, const Env& env, const std::string& host,
               std::ostream& out);

}  // namespace deploy

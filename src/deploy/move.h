// Draining a lab host, and rebalancing them all (issue 14): every World on it moves, whole, to the
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

// Evens out the lab hosts' memory use (issue 14). Each World, in turn, is
// placed again as if it were new among the others (hosts::Place: the
// reachable, undrained host left with the most memory headroom as a share
// of its budget, its own host winning a tie) and moves, as a drain moves
// it (running VMs live), when that is another host: only when another host
// has more headroom than its own would have without it. Up to three passes,
// until none moves. Worlds on a draining or unreachable host stay. With
// `dry_run`, says where each World would go (the later ones placed as if
// the earlier had moved) and changes nothing. Returns true when no World
// that should move failed to and every host was reached. Throws
// core::Error when the state cannot be locked.
bool Rebalance(const Context& context, const Env& env, bool dry_run, std::ostream& out);

}  // namespace deploy

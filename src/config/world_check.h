// Private to config/: the checks of expanded patterns for one World, shared
// by ParseLab (with a sample World) and CheckWorlds (with the real ones).
#pragma once

#include <map>
#include <string>

#include "config/diagnostic.h"
#include "core/lab.h"

namespace config::internal {

// Where a VM's hostname errors point, by VM name; a VM not listed uses its
// LabVm::pos.
using HostnamePositions = std::map<std::string, core::SourcePos>;

// Appends to `out` every problem of `world`'s expanded hostnames and NIC IPs.
// A NIC naming a network the lab lacks (reported elsewhere), or one with
// prefix 0 (its CIDR was invalid), only gets its pattern and IP syntax
// checked. `sample` words messages for the parse-time sample World: they
// quote the pattern instead of naming an owner.
void CheckWorld(const core::Lab& lab, const core::World& world, bool sample,
                const HostnamePositions& hostname_pos, Diagnostics* out);

}  // namespace config::internal

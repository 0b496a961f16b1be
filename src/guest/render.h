// Pure text rendering for the files Worlds writes into a guest. No I/O, so
// every byte is unit-testable; customizer.h declares RenderRcLocal and
// RenderInterfaces, the helpers below complete the set.
#pragma once

#include <string>
#include <vector>

#include "guest/customizer.h"

namespace guest {

// Dotted-quad netmask for a CIDR prefix: 24 -> "255.255.255.0".
// Throws core::Error when `prefix` is outside 0..32.
std::string NetmaskFromPrefix(int prefix);

// Returns /etc/hosts with exactly one "127.0.1.1 <hostname>" line: an
// existing 127.0.1.1 line is replaced (extra ones dropped), else the line goes
// after the last 127.0.0.1 line, else at the end. Empty `current` (no file)
// yields localhost lines plus ours. Other lines are kept byte for byte.
std::string RenderHosts(const std::string& current, const std::string& hostname);

// Returns /etc/hosts `current` with the Worlds block (between marker
// lines) replaced by one line per entry, "<address> <names...>"; no block
// when `entries` is empty. Other lines are kept byte for byte.
std::string RenderWorldHosts(const std::string& current,
                             const std::vector<HostEntry>& entries);

// The sed expression the first-boot block uses to delete itself; matches
// exactly the two marker lines and everything between them.
std::string FirstBootSedExpression();

}  // namespace guest

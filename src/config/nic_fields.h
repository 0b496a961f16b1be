// Private to config/: the optional keys of one NIC that set up the guest's
// network beyond its address, `gateway` and `dns`. Both are fixed addresses
// (never patterns), so they are checked once, at parse time; only the
// NIC's own (expanded) address is compared with its gateway per World, in
// world_check.cc.
#pragma once

#include <string>

#include "config/yaml_fields.h"
#include "core/lab.h"

namespace config::internal {

// Reads `gateway` into nic->gateway (as written, when it is a string).
// Reports a value that is not a fixed IPv4 address and, when `net` is given
// (the NIC's network, with a valid CIDR), one that is not a host address of
// `net`. `where` names the NIC, e.g. "nic 1 of vm 'router'".
void ReadGateway(Fields& fields, const std::string& where,
                 const core::LabNetwork* net, Reporter* reporter,
                 core::Nic* nic);

// Reads `dns` into nic->dns: one to three IPv4 addresses as a list, or one
// as a plain string. Each bad entry is reported at its own position.
void ReadDns(const Fields& fields, const std::string& where, Reporter* reporter,
             core::Nic* nic);

}  // namespace config::internal

// A World's bridge carries its guests' frames between them and gives the
// host nothing. With no address on the bridge the host sends nothing into a
// World, but Linux's defaults (rp_filter=0, arp_ignore=0) still answer a
// guest's ARP for the host's *other* addresses and take its packets into
// the host's IP stack, where any service bound to 0.0.0.0 receives them
// (found by the isolation test). Per bridge, the kernel is told:
//   net.ipv4.conf.<bridge>.arp_ignore = 8   answer no ARP request at all
//   net.ipv4.conf.<bridge>.rp_filter  = 1   drop what cannot be answered back
//                                            through this bridge: everything,
//                                            as no route points into it
//   net.ipv6.conf.<bridge>.disable_ipv6 = 1 no link-local address either
#pragma once

#include <string>

namespace virt {

// Applies the settings above to the local kernel's `bridge` (under
// `proc_sys`, /proc/sys outside tests). Throws core::Error naming the
// setting when one cannot be written, or when `bridge` is not a plain
// interface name.
void GuardBridge(const std::string& bridge, const std::string& proc_sys = "/proc/sys");

}  // namespace virt

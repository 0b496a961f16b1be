// libvirt's network hook (https://libvirt.org/hooks.html): for every network
// it starts, stops or updates, libvirtd runs each script in
// /etc/libvirt/hooks/network.d/ as `SCRIPT NETWORK OPERATION SUBOPERATION -`
// with the network's live XML on stdin, and waits for it. A World's bridge
// is guarded there (bridge_guard.h), so a network libvirt autostarts at boot
// is guarded before any guest can use it, with no broker running yet.
#pragma once

#include <string>

namespace virt {

// Whether this hook call is one to guard a bridge at: a World's network
// (its name has core::kObjectPrefix) that libvirt has just set up
// ("started"; at "start" the bridge does not exist yet). Other networks and
// operations are none of Worlds' business.
bool HookGuardsBridge(const std::string& network, const std::string& operation);

// The bridge name of the network in the hook's stdin: a <hookData> holding
// the <network>, as libvirt sends it, or a bare <network>. Throws
// core::Error when the XML cannot be parsed or names no bridge.
std::string BridgeOfNetworkXml(const std::string& xml);

}  // namespace virt

// The network configuration files of each stack Worlds supports, as pure
// text from the lab's NICs. Every NIC is matched by its MAC address (the
// domain XML gives each a fixed one), never by a guessed name like eth0.
#pragma once

#include <string>
#include <vector>

#include "guest/customizer.h"

namespace guest {

// ifupdown: the stanzas for /etc/network/interfaces.d/worlds ("address
// A/P", gateway; names given by .link files).
std::string RenderIfupdownStanzas(const std::vector<NicConfig>& nics);

// ifupdown: the base's /etc/network/interfaces with every DHCP/auto stanza
// of a NIC other than lo commented out (the lab configures all NICs), and
// with a `source /etc/network/interfaces.d/*` line added when it has none.
std::string RenderIfupdownBase(const std::string& current);

// netplan: one file for all NICs, `match: macaddress` and `set-name` where
// `rename`.
std::string RenderNetplan(const std::vector<NicConfig>& nics, bool rename);

// NetworkManager: a keyfile per NIC (mode 0600), bound by `mac-address=`.
std::string RenderNmKeyfile(const NicConfig& nic);

// NetworkManager: conf.d drop-in that stops NM from making its automatic
// DHCP "Wired connection" for a NIC.
std::string RenderNmNoAutoDefault();

// systemd-networkd: a .network file per NIC, `[Match] MACAddress=`.
std::string RenderNetworkdNetwork(const NicConfig& nic);

// systemd .link file that names the NIC with `mac` (udev applies it).
std::string RenderLinkFile(const NicConfig& nic);

// RHEL network-scripts: ifcfg-<name> with HWADDR=.
std::string RenderIfcfg(const NicConfig& nic);

// The directory where `stack` keeps one configuration per file
// (/etc/network/interfaces.d, /etc/netplan, ...); "" for busybox.
std::string NetworkConfigDir(const std::string& stack);

// Whether `text`, the file `name` in NetworkConfigDir(stack), gives a NIC
// its address by DHCP or SLAAC (an ifupdown `inet dhcp` stanza, netplan
// `dhcp4: true`, NetworkManager `method=auto`, networkd `DHCP=yes`, ifcfg
// `BOOTPROTO=dhcp`), so a clone loses it.
bool IsDhcpConfig(const std::string& stack, const std::string& name, const std::string& text);

// /etc/resolv.conf for the union of the NICs' resolvers ("" when none).
std::string RenderResolvConf(const std::vector<NicConfig>& nics);

}  // namespace guest

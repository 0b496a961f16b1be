#include "guest/network_config.h"

#include <cstdint>
#include <cstdio>
#include <regex>
#include <sstream>

#include "guest/render.h"

namespace guest {

namespace {

constexpr const char kHeader[] = "Written by Worlds before this VM's first boot";

std::string Cidr(const NicConfig& nic) { return nic.address + "/" + std::to_string(nic.prefix); }

// A stable RFC 4122-shaped UUID from `seed` (FNV-1a), so a profile keeps
// its UUID whenever its file is written again for the same NIC.
std::string UuidFrom(const std::string& seed) {
  uint64_t h1 = 1469598103934665603ULL, h2 = 1099511628211ULL ^ 0x5bd1e995ULL;
  for (unsigned char c : seed) {
    h1 = (h1 ^ c) * 1099511628211ULL;
    h2 = (h2 ^ c) * 1469598103934665603ULL + 7;
  }
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(h1 >> 32),
                static_cast<unsigned>(h1 >> 16) & 0xffff, static_cast<unsigned>(h1) & 0x0fff,
                (static_cast<unsigned>(h2 >> 48) & 0x3fff) | 0x8000,
                static_cast<unsigned long long>(h2 & 0xffffffffffffULL));
  return out;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

}  // namespace

std::vector<std::string> NicNames(const OsInfo& os, const std::vector<std::string>& networks) {
  std::vector<std::string> names;
  for (size_t i = 0; i < networks.size(); ++i) {
    if (!os.udev) {
      // No udev to rename: the kernel's names in PCI order.
      names.push_back("eth" + std::to_string(i));
      continue;
    }
    // Linux allows 15 characters. "eth0" and friends belong to the kernel:
    // renaming into its namespace races with it, so such networks get a prefix.
    std::string base = networks[i];
    if (base.rfind("eth", 0) == 0 || base == "lo") base = "n-" + base;
    base = base.substr(0, 15);
    std::string name = base;
    for (int n = 2;; ++n) {
      bool taken = false;
      for (const std::string& used : names) taken = taken || used == name;
      if (!taken) break;
      std::string suffix = std::to_string(n);
      name = base.substr(0, 15 - suffix.size()) + suffix;
    }
    names.push_back(name);
  }
  return names;
}

std::string RenderIfupdownStanzas(const std::vector<NicConfig>& nics) {
  std::string out = std::string("# ") + kHeader + ": the lab's NICs.\n";
  for (const NicConfig& nic : nics) {
    out += "\nauto " + nic.interface + "\niface " + nic.interface + " inet static\n" +
           "    address " + Cidr(nic) + "\n";
    if (!nic.gateway.empty()) out += "    gateway " + nic.gateway + "\n";
  }
  return out;
}

std::string RenderIfupdownBase(const std::string& current) {
  static const std::regex kStanza(R"(^\s*(iface|auto|allow-\S+|mapping)\s.*)");
  static const std::regex kDhcpIface(R"(^\s*iface\s+(\S+)\s+inet6?\s+(dhcp|auto)\b.*)");
  static const std::regex kNames(R"(^\s*(auto|allow-\S+)\s+(.*))");
  static const std::regex kSource(R"(^\s*source(-directory)?\s+\S*interfaces\.d)");
  std::istringstream in(current);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  // Interfaces whose stanza asks for DHCP (or SLAAC) - never lo.
  std::vector<std::string> dhcp;
  std::smatch m;
  for (const std::string& line : lines) {
    if (std::regex_match(line, m, kDhcpIface) && m[1] != "lo") dhcp.push_back(m[1]);
  }
  auto is_dhcp = [&](const std::string& name) {
    for (const std::string& d : dhcp) {
      if (d == name) return true;
    }
    return false;
  };

  std::string out;
  bool disabling = false;  // inside a DHCP iface stanza (its option lines)
  bool has_source = false;
  for (const std::string& line : lines) {
    bool disable = false;
    if (std::regex_match(line, m, kDhcpIface) && is_dhcp(m[1])) {
      disable = disabling = true;
    } else if (std::regex_match(line, kStanza)) {
      disabling = false;
      if (std::regex_match(line, m, kNames)) {
        std::istringstream names(m[2].str());
        bool all = true;
        for (std::string name; names >> name;) all = all && is_dhcp(name);
        disable = all && !dhcp.empty();
      }
    } else if (disabling && !line.empty() && line[0] != '#') {
      disable = true;
    }
    if (std::regex_search(line, kSource)) has_source = true;
    out += (disable ? "# disabled by Worlds (the lab configures this NIC): " : "") + line + "\n";
  }
  if (!has_source) out += "\nsource /etc/network/interfaces.d/*\n";
  return out;
}

std::string RenderNetplan(const std::vector<NicConfig>& nics, bool rename) {
  std::string out = std::string("# ") + kHeader + ": the lab's NICs.\nnetwork:\n" +
                    "  version: 2\n  ethernets:\n";
  for (const NicConfig& nic : nics) {
    out += "    " + nic.interface + ":\n      match:\n        macaddress: \"" + nic.mac + "\"\n";
    if (rename) out += "      set-name: " + nic.interface + "\n";
    out +=
        "      dhcp4: false\n      dhcp6: false\n      accept-ra: false\n"
        "      addresses: [\"" +
        Cidr(nic) + "\"]\n";
    if (!nic.gateway.empty()) {
      out += "      routes:\n        - to: default\n          via: " + nic.gateway + "\n";
    }
    if (!nic.dns.empty()) {
      out += "      nameservers:\n        addresses: [" + Join(nic.dns, ", ") + "]\n";
    }
  }
  return out;
}

std::string RenderNmKeyfile(const NicConfig& nic) {
  std::string out = std::string("# ") + kHeader + ".\n[connection]\nid=worlds-" + nic.interface +
                    "\nuuid=" + UuidFrom("worlds-nm-" + nic.mac) +
                    "\ntype=ethernet\nautoconnect=true\nautoconnect-priority=100\n\n" +
                    "[ethernet]\nmac-address=" + nic.mac + "\n\n[ipv4]\nmethod=manual\n" +
                    "address1=" + Cidr(nic) + (nic.gateway.empty() ? "" : "," + nic.gateway) + "\n";
  if (!nic.dns.empty()) out += "dns=" + Join(nic.dns, ";") + ";\n";
  out += "\n[ipv6]\nmethod=disabled\n";
  return out;
}

std::string RenderNmNoAutoDefault() {
  return std::string("# ") + kHeader +
         ": no automatic DHCP profile for the lab's NICs.\n[main]\nno-auto-default=*\n";
}

std::string RenderNetworkdNetwork(const NicConfig& nic) {
  std::string out = std::string("# ") + kHeader + ".\n[Match]\nMACAddress=" + nic.mac +
                    "\n\n[Network]\nDHCP=no\nIPv6AcceptRA=no\nAddress=" + Cidr(nic) + "\n";
  if (!nic.gateway.empty()) out += "Gateway=" + nic.gateway + "\n";
  for (const std::string& dns : nic.dns) out += "DNS=" + dns + "\n";
  return out;
}

std::string RenderLinkFile(const NicConfig& nic) {
  return std::string("# ") + kHeader + ": the NIC on lab network '" + nic.network +
         "'.\n[Match]\nMACAddress=" + nic.mac + "\n\n[Link]\nName=" + nic.interface + "\n";
}

std::string RenderIfcfg(const NicConfig& nic) {
  std::string out = std::string("# ") + kHeader + ".\nDEVICE=" + nic.interface +
                    "\nNAME=" + nic.interface + "\nHWADDR=" + nic.mac +
                    "\nTYPE=Ethernet\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=" + nic.address +
                    "\nPREFIX=" + std::to_string(nic.prefix) + "\nIPV6INIT=no\n";
  if (!nic.gateway.empty()) out += "GATEWAY=" + nic.gateway + "\nDEFROUTE=yes\n";
  for (size_t i = 0; i < nic.dns.size(); ++i) {
    out += "DNS" + std::to_string(i + 1) + "=" + nic.dns[i] + "\n";
  }
  return out;
}

namespace {

struct ConfigPlace {
  const char* stack;
  const char* dir;
  const char* file;  // regex on the file name
  const char* dhcp;  // regex on the text
};

// Anchored at a line start by (^|\n): std::regex has no multiline mode in C++17.
const ConfigPlace kPlaces[] = {
    {kIfupdown, "/etc/network/interfaces.d", ".*",
     R"((^|\n)[ \t]*iface\s+\S+\s+inet6?\s+(dhcp|auto)\b)"},
    {kNetplan, "/etc/netplan", R"(.*\.ya?ml)", R"(dhcp[46]\s*:\s*(true|yes|on)\b)"},
    {kNetworkManager, "/etc/NetworkManager/system-connections", ".*",
     R"((^|\n)[ \t]*method\s*=\s*auto\b)"},
    {kNetworkd, "/etc/systemd/network", R"(.*\.network)",
     R"((^|\n)[ \t]*DHCP\s*=\s*(yes|true|ipv4|ipv6|both)\b)"},
    {kNetworkScripts, "/etc/sysconfig/network-scripts", R"(ifcfg-.*)",
     R"((^|\n)[ \t]*BOOTPROTO\s*=\s*"?dhcp)"},
};

const ConfigPlace* PlaceOf(const std::string& stack) {
  for (const ConfigPlace& place : kPlaces) {
    if (stack == place.stack) return &place;
  }
  return nullptr;
}

}  // namespace

std::string NetworkConfigDir(const std::string& stack) {
  const ConfigPlace* place = PlaceOf(stack);
  return place ? place->dir : "";
}

bool IsDhcpConfig(const std::string& stack, const std::string& name, const std::string& text) {
  const ConfigPlace* place = PlaceOf(stack);
  if (!place || name == "ifcfg-lo" || !std::regex_match(name, std::regex(place->file))) {
    return false;
  }
  return std::regex_search(text,
                           std::regex(place->dhcp, std::regex::ECMAScript | std::regex::icase));
}

std::string RenderResolvConf(const std::vector<NicConfig>& nics) {
  std::vector<std::string> servers;
  for (const NicConfig& nic : nics) {
    for (const std::string& dns : nic.dns) {
      bool seen = false;
      for (const std::string& s : servers) seen = seen || s == dns;
      if (!seen) servers.push_back(dns);
    }
  }
  if (servers.empty()) return "";
  std::string out = std::string("# ") + kHeader + ".\n";
  for (const std::string& s : servers) out += "nameserver " + s + "\n";
  return out;
}

}  // namespace guest

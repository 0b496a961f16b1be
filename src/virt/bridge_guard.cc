#include "virt/bridge_guard.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace virt {

namespace {

bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void Write(const std::string& path, const char* value) {
  std::ofstream out(path);
  if (out) out << value << "\n";
  if (!out || !out.flush()) {
    throw core::Error(std::string("cannot set ") + value + ": " + std::strerror(errno), path,
                      "run as root on the libvirt host; a World's bridge must not reach "
                      "the host");
  }
}

}  // namespace

void GuardBridge(const std::string& bridge, const std::string& proc_sys) {
  if (!IsInterfaceName(bridge)) {
    throw core::Error("'" + bridge + "' is not a network interface name", "GuardBridge");
  }
  std::string v4 = proc_sys + "/net/ipv4/conf/" + bridge + "/";
  Write(v4 + "arp_ignore", "8");
  Write(v4 + "rp_filter", "1");
  // A kernel without IPv6 has nothing to disable.
  std::ifstream ipv6(proc_sys + "/net/ipv6/conf/all/disable_ipv6");
  if (ipv6) Write(proc_sys + "/net/ipv6/conf/" + bridge + "/disable_ipv6", "1");
}

}  // namespace virt

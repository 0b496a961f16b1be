// The lab's addresses, written for the network stack the guest really uses
// (inspection decided which), each NIC matched by its MAC address and, where
// the guest can rename interfaces, named after its lab network.
#include "guest/network_config.h"
#include "guest/operations.h"

namespace guest {

namespace {

void LinkFiles(const GuestEdit& edit, GuestChanges& changes) {
  if (!edit.os.udev) return;
  for (const NicConfig& nic : edit.nics) {
    changes.Write("/etc/systemd/network/10-worlds-" + nic.interface + ".link", RenderLinkFile(nic));
  }
}

void RemoveDhcp(const GuestEdit& edit, GuestChanges& changes) {
  for (const std::string& path : edit.os.dhcp_configs) changes.Remove(path);
}

void ResolvConf(const GuestEdit& edit, GuestChanges& changes) {
  std::string text = RenderResolvConf(edit.nics);
  if (!text.empty()) changes.Write("/etc/resolv.conf", text);
}

void Plan(const GuestEdit& edit, GuestChanges& changes) {
  const OsInfo& os = edit.os;
  const std::string& stack = os.network_stack;
  if (stack == kBusybox || stack.empty()) {
    // busybox ifup reads one file and has no `source`; the kernel's names
    // (eth0, eth1, ... in PCI order) are the NICs' names.
    changes.Write("/etc/network/interfaces", RenderInterfaces(edit.nics));
    ResolvConf(edit, changes);
    return;
  }
  RemoveDhcp(edit, changes);
  if (stack == kIfupdown) {
    auto base = os.files.find("/etc/network/interfaces");
    changes.Write("/etc/network/interfaces",
                  RenderIfupdownBase(base == os.files.end() ? "" : base->second));
    changes.Write("/etc/network/interfaces.d/worlds", RenderIfupdownStanzas(edit.nics));
    LinkFiles(edit, changes);
    ResolvConf(edit, changes);
  } else if (stack == kNetplan) {
    // netplan writes the .link files for set-name itself.
    changes.Write("/etc/netplan/60-worlds.yaml", RenderNetplan(edit.nics, os.udev), 0600);
  } else if (stack == kNetworkManager) {
    for (const NicConfig& nic : edit.nics) {
      changes.Write(
          "/etc/NetworkManager/system-connections/worlds-" + nic.interface + ".nmconnection",
          RenderNmKeyfile(nic), 0600);
    }
    changes.Write("/etc/NetworkManager/conf.d/90-worlds.conf", RenderNmNoAutoDefault());
    LinkFiles(edit, changes);
  } else if (stack == kNetworkd) {
    for (const NicConfig& nic : edit.nics) {
      changes.Write("/etc/systemd/network/10-worlds-" + nic.interface + ".network",
                    RenderNetworkdNetwork(nic));
    }
    LinkFiles(edit, changes);
  } else if (stack == kNetworkScripts) {
    for (const NicConfig& nic : edit.nics) {
      changes.Write("/etc/sysconfig/network-scripts/ifcfg-" + nic.interface, RenderIfcfg(nic));
    }
    LinkFiles(edit, changes);
  }
}

}  // namespace

Operation NetworkOperation() {
  return {"network",
          "the lab's addresses for the guest's network stack, matched by MAC; its DHCP "
          "configuration for those NICs removed",
          [](const OsInfo&) { return true; }, Plan};
}

}  // namespace guest

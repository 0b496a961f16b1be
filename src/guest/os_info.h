// What libguestfs inspection found in a base image, and what Worlds will do
// with it. Plain data: found once per distinct base (keyed by its sha256,
// kept in the store) and handed to every overlay's customization, so a
// deploy of 30 overlays of one base pays one inspection, not 30.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace guest {

// The network stacks Worlds can write a configuration for.
inline constexpr const char* kIfupdown = "ifupdown";
inline constexpr const char* kNetplan = "netplan";
inline constexpr const char* kNetworkManager = "networkmanager";
inline constexpr const char* kNetworkd = "systemd-networkd";
inline constexpr const char* kNetworkScripts = "network-scripts";  // RHEL ifcfg-*
inline constexpr const char* kBusybox = "busybox";

// One filesystem to mount, in mount order (parents first). `device` names
// the base's disk as the first one, "/dev/sda" (partitions "/dev/sda1",
// "btrfsvol:/dev/sda2/@"); logical volumes keep their own names
// ("/dev/vg0/root"). DeviceOn() rewrites it for another disk.
struct Mount {
  std::string mountpoint;
  std::string device;
};

struct OsInfo {
  // From libguestfs inspection.
  std::string type;          // "linux", "windows", ...
  std::string distro;        // "debian", "ubuntu", "fedora", "rhel", ...
  std::string product_name;  // e.g. "Debian GNU/Linux 12 (bookworm)"
  int major = 0;
  int minor = 0;
  std::string package_format;  // "deb", "rpm", "apk", "unknown"
  std::vector<Mount> mounts;
  bool lvm = false;  // some mount is a logical volume

  // From reading the mounted guest.
  std::string init;                         // "systemd", "busybox" or "sysvinit"
  bool udev = false;                        // NICs can be given names (systemd .link files)
  std::vector<std::string> network_stacks;  // present, in preference order
  std::string network_stack;                // the one Worlds configures ("" = none)
  bool cloud_init = false;
  bool serial_console = false;             // a bootloader entry has console=ttyS0
  std::string boot_config;                 // where that was looked for ("" = none found)
  std::string rc_local = "/etc/rc.local";  // the file the guest's init runs
  // How the first-boot block runs: "rc-local-generator" (systemd's),
  // "worlds-unit" (Worlds installs a oneshot unit), "rcS" (busybox/sysv).
  std::string first_boot_runner;
  bool sshd = false;
  std::vector<std::string> ssh_host_keys;  // the base's /etc/ssh/ssh_host_* files
  bool dbus_machine_id = false;            // /var/lib/dbus/machine-id is a file of its own
  bool selinux = false;                    // /etc/selinux/config exists: relabel on first boot

  // Text of the base's files that Worlds edits rather than replaces
  // (/etc/hosts, /etc/network/interfaces, rc.local), so each clone's new
  // text is made on the host with no read in the appliance.
  std::map<std::string, std::string> files;
  // The base's network configuration files that give DHCP (or otherwise
  // claim) NICs Worlds configures; each clone loses them.
  std::vector<std::string> dhcp_configs;
};

// Why Worlds cannot customize this guest, or "" when it can.
std::string CustomizeProblem(const OsInfo& os);

// Things an instructor should know (each a sentence), e.g. no serial
// console: the students' console would stay blank.
std::vector<std::string> Warnings(const OsInfo& os);

// `device` (as stored in Mount, for the first disk "/dev/sda") for the
// disk `disk` ("/dev/sdc"): "/dev/sda1" -> "/dev/sdc1",
// "btrfsvol:/dev/sda2/@" -> "btrfsvol:/dev/sdc2/@"; other names unchanged.
std::string DeviceOn(const std::string& device, const std::string& disk);

// The inverse, for what inspection of disk `disk` found.
std::string DeviceAsFirst(const std::string& device, const std::string& disk);

}  // namespace guest

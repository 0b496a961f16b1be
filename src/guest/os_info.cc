#include "guest/os_info.h"

namespace guest {

namespace {

// "/dev/sda" + rest, where rest is empty or a partition number, for the
// disk prefix `from`; rewritten to start with `to`.
std::string Rewrite(const std::string& device, const std::string& from, const std::string& to) {
  const std::string btrfs = "btrfsvol:";
  if (device.rfind(btrfs, 0) == 0) {
    return btrfs + Rewrite(device.substr(btrfs.size()), from, to);
  }
  if (device.rfind(from, 0) != 0) return device;
  // "/dev/sdab1" is not on "/dev/sda": the next character must not be a letter.
  size_t end = from.size();
  if (end < device.size() && device[end] >= 'a' && device[end] <= 'z') return device;
  return to + device.substr(end);
}

}  // namespace

std::string DeviceOn(const std::string& device, const std::string& disk) {
  return Rewrite(device, "/dev/sda", disk);
}

std::string DeviceAsFirst(const std::string& device, const std::string& disk) {
  return Rewrite(device, disk, "/dev/sda");
}

std::string CustomizeProblem(const OsInfo& os) {
  if (os.type == "none") return "libguestfs inspection found no operating system on it";
  if (os.type == "several") {
    return "libguestfs inspection found " + os.product_name + " on it; Worlds needs exactly one";
  }
  if (os.type != "linux") {
    return "it holds a " + (os.type.empty() ? std::string("unknown") : os.type) +
           " system; Worlds customizes Linux guests only";
  }
  if (os.mounts.empty()) return "inspection found no filesystem to mount for its root";
  if (os.network_stack.empty()) {
    return "it has no network configuration Worlds can write (none of ifupdown, "
           "netplan, NetworkManager, systemd-networkd, RHEL network-scripts or "
           "busybox ifupdown was found)";
  }
  if (os.first_boot_runner.empty()) {
    return "its init (" + os.init + ") has no way to run /etc/rc.local that Worlds knows";
  }
  return "";
}

std::vector<std::string> Warnings(const OsInfo& os) {
  std::vector<std::string> out;
  if (!os.serial_console) {
    out.push_back("no kernel command line with console=ttyS0 was found" +
                  (os.boot_config.empty() ? std::string() : " in " + os.boot_config) +
                  ": the students' console will stay blank (add console=ttyS0,115200 to the "
                  "bootloader's kernel command line, or give the image a cmdline in the lab)");
  }
  return out;
}

}  // namespace guest

// Inspection: libguestfs finds the root and the mountpoints; the probes
// below then read the mounted guest for what Worlds decides per clone.
#include "guest/inspector.h"

#include <algorithm>

#include "core/error.h"
#include "guest/guestfs_session.h"
#include "guest/network_config.h"

namespace guest {

namespace {

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The first of `paths` that exists, or "".
std::string FirstExisting(GuestfsSession& s, const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (s.Exists(p)) return p;
  }
  return "";
}

// Where the symlink at `path` points, by name only (enough to tell systemd
// from busybox), or `path` itself when it is no symlink.
std::string LinkTarget(GuestfsSession& s, const std::string& path) {
  std::optional<std::string> target = s.ReadLink(path);
  return target ? *target : path;
}

std::string InitOf(GuestfsSession& s) {
  std::string init = LinkTarget(s, "/sbin/init");
  if (Contains(init, "systemd")) return "systemd";
  if (Contains(init, "busybox")) return "busybox";
  if (!s.Exists("/sbin/init") &&
      !FirstExisting(s, {"/lib/systemd/systemd", "/usr/lib/systemd/systemd"}).empty()) {
    return "systemd";
  }
  return "sysvinit";
}

bool Enabled(GuestfsSession& s, const std::string& unit) {
  for (const char* target :
       {"multi-user.target.wants", "network-online.target.wants", "network.target.wants"}) {
    if (s.ReadLink("/etc/systemd/system/" + std::string(target) + "/" + unit)) return true;
  }
  return false;
}

void ProbeNetwork(GuestfsSession& s, OsInfo& os) {
  const bool busybox_ifup = Contains(LinkTarget(s, "/sbin/ifup"), "busybox");
  const bool netplan = s.Exists("/usr/sbin/netplan");
  const bool nm = s.Exists("/usr/sbin/NetworkManager");
  const bool networkd =
      !FirstExisting(s, {"/lib/systemd/systemd-networkd", "/usr/lib/systemd/systemd-networkd"})
           .empty();
  const bool ifupdown = !busybox_ifup &&
                        !FirstExisting(s, {"/sbin/ifup", "/usr/sbin/ifup"}).empty() &&
                        s.IsDir("/etc/network");
  const bool scripts = s.Exists("/etc/sysconfig/network-scripts/ifup-eth") ||
                       s.Exists("/etc/sysconfig/network-scripts/network-functions");
  const bool busybox = busybox_ifup && os.init == "busybox";

  if (netplan) os.network_stacks.push_back(kNetplan);
  if (nm) os.network_stacks.push_back(kNetworkManager);
  if (networkd) os.network_stacks.push_back(kNetworkd);
  if (ifupdown) os.network_stacks.push_back(kIfupdown);
  if (scripts) os.network_stacks.push_back(kNetworkScripts);
  if (busybox) os.network_stacks.push_back(kBusybox);

  // netplan owns the configuration of NetworkManager or networkd beneath
  // it. Otherwise the stack the guest starts at boot wins over one that is
  // merely installed (a desktop image has ifupdown and NetworkManager).
  if (netplan) {
    os.network_stack = kNetplan;
  } else if (nm && Enabled(s, "NetworkManager.service")) {
    os.network_stack = kNetworkManager;
  } else if (networkd && Enabled(s, "systemd-networkd.service")) {
    os.network_stack = kNetworkd;
  } else if (ifupdown) {
    os.network_stack = kIfupdown;
  } else if (scripts) {
    os.network_stack = kNetworkScripts;
  } else if (nm) {
    os.network_stack = kNetworkManager;
  } else if (networkd) {
    os.network_stack = kNetworkd;
  } else if (busybox) {
    os.network_stack = kBusybox;
  }
}

// The base's configuration files of `os.network_stack` that give NICs an
// address by DHCP (or SLAAC): a clone's lab NICs must not wait for a
// server an isolated World never has.
void FindDhcpConfigs(GuestfsSession& s, OsInfo& os) {
  const std::string dir = NetworkConfigDir(os.network_stack);
  if (dir.empty()) return;
  for (const std::string& name : s.List(dir)) {
    const std::string path = dir + "/" + name;
    std::optional<std::string> text = s.ReadFile(path);
    if (text && IsDhcpConfig(os.network_stack, name, *text)) os.dhcp_configs.push_back(path);
  }
}

void ProbeBoot(GuestfsSession& s, OsInfo& os) {
  std::vector<std::string> configs = {"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
                                      "/etc/default/grub"};
  for (const std::string& name : s.List("/boot/loader/entries")) {
    configs.push_back("/boot/loader/entries/" + name);
  }
  for (const std::string& path : configs) {
    std::optional<std::string> text = s.ReadFile(path);
    if (!text) continue;
    if (os.boot_config.empty()) os.boot_config = path;
    if (Contains(*text, "console=ttyS0")) {
      os.serial_console = true;
      os.boot_config = path;
      return;
    }
  }
}

void ProbeFirstBoot(GuestfsSession& s, OsInfo& os) {
  // RHEL-family guests run /etc/rc.d/rc.local; /etc/rc.local is a link.
  std::optional<std::string> link = s.ReadLink("/etc/rc.local");
  if (s.Exists("/etc/rc.d/rc.local") || (link && Contains(*link, "rc.d/rc.local"))) {
    os.rc_local = "/etc/rc.d/rc.local";
  }
  if (os.init == "systemd") {
    os.first_boot_runner = FirstExisting(s, {"/lib/systemd/system-generators/"
                                             "systemd-rc-local-generator",
                                             "/usr/lib/systemd/system-generators/"
                                             "systemd-rc-local-generator"})
                                   .empty()
                               ? "worlds-unit"
                               : "rc-local-generator";
  } else if (os.init == "busybox" || s.Exists("/etc/init.d/rc.local")) {
    os.first_boot_runner = "rcS";
  }
}

void Probe(GuestfsSession& s, OsInfo& os) {
  os.init = InitOf(s);
  os.udev =
      os.init == "systemd" &&
      !FirstExisting(s, {"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd"}).empty();
  ProbeNetwork(s, os);
  FindDhcpConfigs(s, os);
  os.cloud_init = s.Exists("/usr/bin/cloud-init");
  ProbeBoot(s, os);
  ProbeFirstBoot(s, os);
  os.sshd = s.Exists("/usr/sbin/sshd");
  for (const std::string& name : s.List("/etc/ssh")) {
    if (name.rfind("ssh_host_", 0) == 0) os.ssh_host_keys.push_back("/etc/ssh/" + name);
  }
  os.dbus_machine_id =
      s.Exists("/var/lib/dbus/machine-id") && !s.ReadLink("/var/lib/dbus/machine-id");
  os.selinux = s.Exists("/etc/selinux/config");
  for (const std::string& path :
       {std::string("/etc/hosts"), std::string("/etc/network/interfaces"), os.rc_local}) {
    if (std::optional<std::string> text = s.ReadFile(path)) os.files[path] = *text;
  }
}

// Whether `root` is `disk` or one of its partitions (not a logical volume).
bool PlainlyOnDisk(std::string root, const std::string& disk) {
  const std::string btrfs = "btrfsvol:";
  if (root.rfind(btrfs, 0) == 0) {
    root = root.substr(btrfs.size());
    root = root.substr(0, root.find('/', std::string("/dev/").size()));
  }
  return root == disk || IsPartitionOf(root, disk);
}

// Whether inspection's `root` lies on `disk`: a partition of it, the disk
// itself, or a logical volume (LVM sees only this disk while it is probed).
bool OnDisk(const std::string& root, const std::string& disk) {
  if (PlainlyOnDisk(root, disk)) return true;
  std::string device = root.rfind("btrfsvol:", 0) == 0 ? root.substr(9) : root;
  return device.rfind("/dev/sd", 0) != 0 && device.rfind("/dev/vd", 0) != 0;
}

// What `roots` (inspection's roots on `disk`) make of it: none, several,
// or one OS described and probed.
OsInfo DescribeDisk(GuestfsSession& s, const std::string& disk,
                    const std::vector<std::string>& roots) {
  OsInfo os;
  if (roots.size() != 1) {
    os.type = roots.empty() ? "none" : "several";
    os.product_name =
        roots.empty() ? "no operating system" : std::to_string(roots.size()) + " operating systems";
    return os;
  }
  const std::string& root = roots.front();
  os.type = s.InspectString("type", root);
  os.distro = s.InspectString("distro", root);
  os.product_name = s.InspectString("product_name", root);
  os.package_format = s.InspectString("package_format", root);
  os.major = s.InspectMajor(root);
  os.minor = s.InspectMinor(root);
  std::vector<std::pair<std::string, std::string>> points = s.InspectMountpoints(root);
  if (std::none_of(points.begin(), points.end(), [](const auto& p) { return p.first == "/"; })) {
    points.push_back({"/", root});
  }
  // Parents first: "/" before "/boot" before "/boot/efi".
  std::sort(points.begin(), points.end(),
            [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  // The mountpoints come from the guest's fstab: a name libguestfs could
  // not map to a disk here ("/dev/vda" in an fstab) is not mountable. The
  // root is what inspection found it on, whatever fstab calls it.
  const std::vector<std::string> mountable = s.ListFilesystems();
  for (auto& [mountpoint, device] : points) {
    if (mountpoint == "/") {
      device = root;
    } else if (std::find(mountable.begin(), mountable.end(), device) == mountable.end()) {
      device.clear();
    }
  }
  for (const auto& [mountpoint, device] : points) {
    if (device.empty()) continue;
    os.mounts.push_back({mountpoint, DeviceAsFirst(device, disk)});
    if (device.rfind("/dev/sd", 0) != 0 && device.rfind("btrfsvol:/dev/sd", 0) != 0) {
      os.lvm = true;  // a logical volume ("/dev/vg0/root", "/dev/mapper/...")
    }
  }
  if (os.type != "linux") return os;
  MountGuest(s, os, disk, /*readonly=*/true);
  Probe(s, os);
  UnmountGuest(s, os);
  return os;
}

}  // namespace

OsInfo InspectDisk(GuestfsSession& s, const std::string& disk) {
  s.LvmSetFilter({disk});
  std::vector<std::string> roots;
  for (const std::string& root : s.InspectOs()) {
    if (OnDisk(root, disk)) roots.push_back(root);
  }
  return DescribeDisk(s, disk, roots);
}

void MountGuest(GuestfsSession& s, const OsInfo& os, const std::string& disk, bool readonly) {
  if (os.lvm) s.LvmSetFilter({disk});
  for (const Mount& m : os.mounts) s.Mount(DeviceOn(m.device, disk), m.mountpoint, readonly);
}

void UnmountGuest(GuestfsSession& s, const OsInfo& os) {
  s.UmountAll();
  if (os.lvm) s.DeactivateVolumeGroups();
}

std::vector<OsInfo> InspectImages(const std::vector<ImageRef>& images,
                                  const GuestfsOptions& options) {
  std::vector<OsInfo> out;
  if (images.empty()) return out;
  GuestfsSession s(options);
  for (const ImageRef& image : images) s.AddDrive(image.path, image.format, true);
  s.Launch();
  std::vector<std::string> devices = s.Devices();
  if (devices.size() != images.size()) {
    throw core::Error("libguestfs shows " + std::to_string(devices.size()) + " devices for " +
                      std::to_string(images.size()) + " images");
  }
  // One inspection sees every disk: a root on a disk or its partitions is
  // that disk's. A root on a logical volume could be any disk's (clones
  // share their volume group's name), so a disk without a root of its own
  // is inspected again with LVM seeing it alone.
  std::vector<std::string> roots = s.InspectOs();
  const bool volumes = std::any_of(roots.begin(), roots.end(), [&](const std::string& root) {
    return std::none_of(devices.begin(), devices.end(),
                        [&](const std::string& disk) { return PlainlyOnDisk(root, disk); });
  });
  for (size_t i = 0; i < images.size(); ++i) {
    try {
      std::vector<std::string> mine;
      for (const std::string& root : roots) {
        if (PlainlyOnDisk(root, devices[i])) mine.push_back(root);
      }
      out.push_back(mine.empty() && volumes ? InspectDisk(s, devices[i])
                                            : DescribeDisk(s, devices[i], mine));
    } catch (const core::Error& e) {
      throw core::Error("cannot inspect: " + e.message(), images[i].path, e.fix());
    }
  }
  s.Finish();
  return out;
}

}  // namespace guest

#include "guest/changes.h"

#include <gtest/gtest.h>

#include <map>

#include "guest/render.h"

namespace guest {
namespace {

OsInfo Debian(const std::string& stack) {
  OsInfo os;
  os.type = "linux";
  os.distro = "debian";
  os.mounts = {{"/", "/dev/sda1"}};
  os.init = "systemd";
  os.udev = true;
  os.network_stacks = {stack};
  os.network_stack = stack;
  os.rc_local = "/etc/rc.local";
  os.first_boot_runner = "rc-local-generator";
  os.sshd = true;
  os.ssh_host_keys = {"/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub",
                      "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"};
  os.dbus_machine_id = true;
  os.files = {{"/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 debian-base\n"},
              {"/etc/network/interfaces", "source /etc/network/interfaces.d/*\n"}};
  return os;
}

GuestEdit Edit(const OsInfo& os) {
  GuestEdit edit;
  edit.hostname = "client-alice";
  NicConfig nic;
  nic.interface = "lan";
  nic.address = "10.10.0.2";
  nic.mac = "52:54:00:00:00:02";
  nic.network = "lan";
  edit.nics = {nic};
  edit.hosts = {{"10.10.0.1", {"router-alice", "router"}},
                {"10.10.0.2", {"client-alice", "client"}}};
  edit.commands = {"echo hi"};
  edit.os = os;
  edit.identity.machine_id = "0123456789abcdef0123456789abcdef";
  edit.identity.host_keys = {
      {"ed25519", "PRIVATE\n", "ssh-ed25519 AAAA root@client-alice\n", "SHA256:x"},
      {"ecdsa", "PRIVATE2\n", "ecdsa-sha2-nistp256 BBBB root@c\n", "SHA256:y"}};
  return edit;
}

std::map<std::string, FileChange> ByPath(const GuestChanges& changes) {
  std::map<std::string, FileChange> out;
  for (const FileChange& f : changes.files) out[f.path] = f;
  return out;
}

TEST(PlanChangesTest, DebianIfupdownGuest) {
  OsInfo os = Debian(kIfupdown);
  os.dhcp_configs = {"/etc/network/interfaces.d/ens2"};
  GuestChanges changes = PlanChanges(Edit(os));
  auto files = ByPath(changes);
  EXPECT_EQ(files.at("/etc/hostname").content, "client-alice\n");
  EXPECT_EQ(files.at("/etc/hosts").content,
            "127.0.0.1 localhost\n127.0.1.1 client-alice\n# BEGIN worlds hosts\n"
            "# The VMs of this World, by hostname and lab VM name (Worlds).\n"
            "10.10.0.1 router-alice router\n10.10.0.2 client-alice client\n"
            "# END worlds hosts\n");
  EXPECT_EQ(files.at("/etc/network/interfaces").content, "source /etc/network/interfaces.d/*\n");
  EXPECT_NE(files.at("/etc/network/interfaces.d/worlds").content.find("iface lan inet static"),
            std::string::npos);
  EXPECT_NE(files.at("/etc/systemd/network/10-worlds-lan.link").content.find("Name=lan"),
            std::string::npos);
  EXPECT_EQ(files.count("/etc/resolv.conf"), 0u);  // no dns: in the lab
  EXPECT_EQ(files.at("/etc/machine-id").content, "0123456789abcdef0123456789abcdef\n");
  EXPECT_EQ(files.at("/etc/machine-id").mode, 0444);
  EXPECT_EQ(files.at("/var/lib/dbus/machine-id").content, files.at("/etc/machine-id").content);
  EXPECT_EQ(files.at("/etc/ssh/ssh_host_ed25519_key").content, "PRIVATE\n");
  EXPECT_EQ(files.at("/etc/ssh/ssh_host_ed25519_key").mode, 0600);
  EXPECT_EQ(files.at("/etc/ssh/ssh_host_ecdsa_key.pub").mode, 0644);
  EXPECT_EQ(files.at("/etc/rc.local").mode, 0755);
  EXPECT_EQ(files.at("/etc/rc.local").content, RenderRcLocal("", {"echo hi"}));
  EXPECT_NE(files.at("/etc/systemd/system/rc-local.service.d/worlds.conf")
                .content.find("After=network-online.target"),
            std::string::npos);
  // The base's keys go, except those written anew; DHCP and seeds go.
  EXPECT_EQ(changes.remove, (std::vector<std::string>{
                                "/etc/network/interfaces.d/ens2", "/var/lib/systemd/random-seed",
                                "/var/lib/urandom/random-seed", "/etc/ssh/ssh_host_rsa_key",
                                "/etc/ssh/ssh_host_rsa_key.pub"}));
  EXPECT_EQ(changes.operations,
            (std::vector<std::string>{"hostname", "hosts", "network", "machine-id", "ssh-host-keys",
                                      "first-boot"}));
}

TEST(PlanChangesTest, NetplanGuestWithCloudInit) {
  OsInfo os = Debian(kNetplan);
  os.cloud_init = true;
  os.dhcp_configs = {"/etc/netplan/50-cloud-init.yaml"};
  GuestChanges changes = PlanChanges(Edit(os));
  auto files = ByPath(changes);
  EXPECT_EQ(files.at("/etc/netplan/60-worlds.yaml").mode, 0600);
  EXPECT_EQ(files.count("/etc/systemd/network/10-worlds-lan.link"), 0u);  // netplan renames
  EXPECT_EQ(files.count("/etc/cloud/cloud-init.disabled"), 1u);
  EXPECT_EQ(changes.remove.front(), "/etc/netplan/50-cloud-init.yaml");
}

TEST(PlanChangesTest, NetworkManagerGuest) {
  GuestChanges changes = PlanChanges(Edit(Debian(kNetworkManager)));
  auto files = ByPath(changes);
  EXPECT_EQ(files.at("/etc/NetworkManager/system-connections/worlds-lan.nmconnection").mode, 0600);
  EXPECT_EQ(files.count("/etc/NetworkManager/conf.d/90-worlds.conf"), 1u);
  EXPECT_EQ(files.count("/etc/systemd/network/10-worlds-lan.link"), 1u);
}

TEST(PlanChangesTest, SystemdWithoutRcLocalGeneratorGetsAUnitEnabledByLink) {
  OsInfo os = Debian(kNetworkd);
  os.first_boot_runner = "worlds-unit";
  os.rc_local = "/etc/rc.d/rc.local";
  os.selinux = true;
  GuestChanges changes = PlanChanges(Edit(os));
  auto files = ByPath(changes);
  EXPECT_EQ(files.count("/etc/systemd/network/10-worlds-lan.network"), 1u);
  EXPECT_EQ(files.at("/etc/rc.d/rc.local").content,
            RenderRcLocal("", {"echo hi"}, "/etc/rc.d/rc.local"));
  const FileChange& link =
      files.at("/etc/systemd/system/multi-user.target.wants/worlds-first-boot.service");
  EXPECT_TRUE(link.symlink);
  EXPECT_EQ(link.content, "/etc/systemd/system/worlds-first-boot.service");
  EXPECT_NE(files.at("/etc/systemd/system/worlds-first-boot.service")
                .content.find("ExecStart=/etc/rc.d/rc.local\n"),
            std::string::npos);
  EXPECT_EQ(files.count("/.autorelabel"), 1u);
}

TEST(PlanChangesTest, BusyboxGuestKeepsOneInterfacesFile) {
  OsInfo os;
  os.type = "linux";
  os.mounts = {{"/", "/dev/sda"}};
  os.init = "busybox";
  os.network_stack = kBusybox;
  os.first_boot_runner = "rcS";
  GuestEdit edit = Edit(os);
  edit.nics[0].interface = "eth0";
  GuestChanges changes = PlanChanges(edit);
  auto files = ByPath(changes);
  EXPECT_EQ(files.at("/etc/network/interfaces").content, RenderInterfaces(edit.nics));
  EXPECT_EQ(files.count("/etc/ssh/ssh_host_ed25519_key"), 0u);  // no sshd
}

TEST(PlanChangesTest, NoIdentityLeavesTheBasesOwn) {
  GuestEdit edit = Edit(Debian(kIfupdown));
  edit.identity = {};
  auto files = ByPath(PlanChanges(edit));
  EXPECT_EQ(files.count("/etc/machine-id"), 0u);
  EXPECT_EQ(files.count("/etc/ssh/ssh_host_ed25519_key"), 0u);
}

TEST(OsInfoTest, DevicesMoveToAnotherDisk) {
  EXPECT_EQ(DeviceOn("/dev/sda1", "/dev/sdc"), "/dev/sdc1");
  EXPECT_EQ(DeviceOn("/dev/sda", "/dev/sdab"), "/dev/sdab");
  EXPECT_EQ(DeviceOn("btrfsvol:/dev/sda2/@root", "/dev/sdd"), "btrfsvol:/dev/sdd2/@root");
  EXPECT_EQ(DeviceOn("/dev/vg0/root", "/dev/sdd"), "/dev/vg0/root");
  EXPECT_EQ(DeviceAsFirst("/dev/sdc1", "/dev/sdc"), "/dev/sda1");
  EXPECT_EQ(DeviceAsFirst("/dev/sdca1", "/dev/sdc"), "/dev/sdca1");
}

TEST(OsInfoTest, ProblemsNameWhatIsMissing) {
  OsInfo windows;
  windows.type = "windows";
  EXPECT_EQ(CustomizeProblem(windows),
            "it holds a windows system; Worlds customizes Linux guests only");
  OsInfo none;
  none.type = "none";
  EXPECT_EQ(CustomizeProblem(none), "libguestfs inspection found no operating system on it");
  OsInfo bare = Debian(kIfupdown);
  bare.network_stack.clear();
  EXPECT_EQ(CustomizeProblem(bare).rfind("it has no network configuration Worlds can write", 0),
            0u);
  EXPECT_EQ(CustomizeProblem(Debian(kIfupdown)), "");
}

}  // namespace
}  // namespace guest

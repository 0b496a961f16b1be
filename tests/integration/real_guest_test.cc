// Real distributions: Debian 12 images built from Debian packages
// (tools/build-debian-image), one per network stack, deployed as one lab to
// two students. One World is booted under TCG through the images' own GRUB
// and checked from the serial consoles, as a student would see them; the
// other is checked offline (three more TCG guests on two cores would double
// the boot without testing anything the first World does not).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "core/names.h"
#include "guest/customizer.h"
#include "integration/harness.h"
#include "integration/serial_session.h"
#include "support/roster.h"
#include "support/temp_dir.h"
#include "virt/hypervisor.h"

namespace {

constexpr int kBootSeconds = 600;  // 3 Debian guests under TCG on 2 cores
const char* kOwners[] = {"alice", "bob"};
const char kBooted[] = "alice";  // the World that boots

// One VM per network stack in the same World: each flavour's image boots
// beside the others and they reach each other by name.
struct GuestVm {
  const char* name;
  const char* flavour;  // tools/build-debian-image FLAVOUR
  const char* address;
  const char* neighbour;  // the VM it pings by lab name
};
const GuestVm kGuests[] = {{"router", "ifupdown", "10.20.0.1", "web"},
                           {"web", "netplan", "10.20.0.2", "desk"},
                           {"desk", "nm", "10.20.0.3", "router"}};

// The real images' directory (env WORLDS_DEBIAN_IMAGE_DIR, set by
// tools/test after tools/build-debian-image), or "".
std::string DebianImageDir() {
  const char* dir = std::getenv("WORLDS_DEBIAN_IMAGE_DIR");
  return dir ? dir : "";
}

std::string ImagePath(const std::string& flavour) {
  return DebianImageDir() + "/debian-" + flavour + ".qcow2";
}

// A wide terminal, so bash never wraps a typed line's echo; no pager, so
// systemctl never waits for a key.
const char kQuietShell[] = "stty cols 500; export SYSTEMD_PAGER=cat PAGER=cat";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A lab whose VMs use the real images `flavours` (image names = flavours),
// deployed to alice and bob.
class RealGuestTest : public ::testing::Test {
 protected:
  void Prepare(const std::string& name, const std::vector<GuestVm>& vms) {
    for (const GuestVm& vm : vms) {
      IT_REQUIRE(!DebianImageDir().empty() && std::filesystem::exists(ImagePath(vm.flavour)),
                 "real Debian image " + ImagePath(vm.flavour) + " (tools/build-debian-image " +
                     vm.flavour + " DIR; tools/test builds it)");
    }
    IT_REQUIRE(it::Exec({"virsh", "-q", "-c", "qemu:///system", "version"}).code == 0,
               "libvirtd on qemu:///system (run tools/start-daemons)");
    setenv("LIBGUESTFS_BACKEND", "direct", 0);
    setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
    temp_.emplace("worlds-it-" + name + "-", 0755, "/tmp");  // QEMU reads the overlays
    dir_ = temp_->path();
    state_dir_ = dir_ + "/state";
    lab_ = "it" + name;
    lab_file_ = dir_ + "/" + lab_ + ".yaml";
    std::ofstream lab(lab_file_);
    lab << "lab: " << lab_ << "\nimages:\n";
    std::set<std::string> flavours;
    for (const GuestVm& vm : vms) flavours.insert(vm.flavour);
    for (const std::string& flavour : flavours) {
      lab << "  - name: " << flavour << "\n    file: " << ImagePath(flavour)
          << "\n    format: qcow2\n";
    }
    lab << "networks:\n  - name: lan\n    cidr: 10.20.0.0/24\nvms:\n";
    for (const GuestVm& vm : vms) {
      lab << "  - name: " << vm.name << "\n    image: " << vm.flavour
          << "\n    memory: 768M\n    hostname: \"{vm}-{owner}\"\n"
          << "    nics:\n      - network: lan\n        ip: " << vm.address << "\n";
      if (std::string(vm.name) != "router") {
        lab << "        gateway: 10.20.0.1\n        dns: [10.20.0.1]\n";
      }
      lab << "    commands:\n      - echo \"first boot of {vm}\" >> /root/first-boot.txt\n";
    }
    lab.close();
    roster_ = dir_ + "/two.csv";
    support::WriteRoster(roster_, {{"alice", "Alice Martin", "a"}, {"bob", "Bob Chen", "b"}});
    ready_ = true;
  }

  void TearDown() override {
    if (!ready_) return;
    it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
    temp_.reset();
  }

  std::vector<std::string> Global(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--state-dir", state_dir_, "--accel", "qemu"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  std::string Domain(const std::string& owner, const std::string& vm) const {
    return core::DomainName(lab_, owner, vm);
  }

  // domain -> the identity the store recorded (status --json).
  std::map<std::string, nlohmann::json> Identities() {
    it::Run status = it::Worlds(Global({"status", "--json"}));
    EXPECT_EQ(status.code, 0) << status.err;
    std::map<std::string, nlohmann::json> out;
    for (const auto& row : nlohmann::json::parse(status.out)) {
      out[row["domain"]] = row["identity"];
    }
    return out;
  }

  std::optional<support::TempDir> temp_;
  std::string dir_, state_dir_, lab_, lab_file_, roster_;
  bool ready_ = false;
};

// One console command's output: what the console showed between the last
// echo of the typed line and the marker, without terminal escapes (bash's
// bracketed paste, colours) or carriage returns.
std::string Output(it::SerialSession& console, const std::string& command, int* code) {
  std::string raw;
  *code = console.Run(command, &raw);
  raw = std::regex_replace(raw, std::regex("\x1b\\[[0-9;?]*[A-Za-z]|\r"), "");
  std::string before = raw.substr(0, raw.rfind("END-"));
  size_t typed = before.rfind("$?\"");
  if (typed == std::string::npos) return before;
  size_t line = before.find('\n', typed);
  return line == std::string::npos ? "" : before.substr(line + 1);
}

TEST_F(RealGuestTest, EachStackDeploysBootsAndEveryVmIsItsOwnMachineOnTheLabNetwork) {
  Prepare("real", {std::begin(kGuests), std::end(kGuests)});
  if (IsSkipped() || HasFatalFailure()) return;
  auto deploy_start = std::chrono::steady_clock::now();
  it::Run deploy = it::Worlds(Global({"deploy", lab_file_, "--roster", roster_}));
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  std::cerr << "[real] deploy of 2 Worlds x 3 VMs (3 images inspected): " << Seconds(deploy_start)
            << " s\n"
            << deploy.out;

  std::map<std::string, nlohmann::json> identity = Identities();
  std::set<std::string> machine_ids;
  for (const char* owner : kOwners) {
    for (const GuestVm& vm : kGuests) {
      const std::string domain = Domain(owner, vm.name);
      const nlohmann::json& id = identity[domain];
      ASSERT_TRUE(id.is_object()) << domain << " has no recorded identity";
      machine_ids.insert(id["machine_id"].get<std::string>());
      ASSERT_EQ(id["host_keys"].size(), 2u) << id.dump();
      ASSERT_EQ(id["nics"].size(), 1u) << id.dump();
      EXPECT_EQ(id["nics"][0]["name"], "lan") << "status says which name each NIC gets";
      EXPECT_EQ(id["nics"][0]["mac"], core::MacAddress(domain, 0));
    }
  }
  EXPECT_EQ(machine_ids.size(), 6u) << "every clone its own machine-id";

  std::unique_ptr<virt::Hypervisor> hv = virt::NewLibvirtHypervisor("qemu:///system");
  auto boot_start = std::chrono::steady_clock::now();
  std::map<std::string, std::unique_ptr<it::SerialSession>> consoles;
  for (const GuestVm& vm : kGuests) {
    const std::string domain = Domain(kBooted, vm.name);
    it::Run start = it::Exec({"virsh", "-c", "qemu:///system", "start", domain});
    ASSERT_EQ(start.code, 0) << start.err;
    consoles[domain] = std::make_unique<it::SerialSession>(*hv, domain);
  }
  for (auto& [domain, console] : consoles) {
    ASSERT_TRUE(console->WaitFor("(automatic login)", kBootSeconds))
        << domain << " never reached the login on ttyS0 ("
        << Trim(it::Exec({"virsh", "-c", "qemu:///system", "domstate", "--reason", domain}).out)
        << "):\n"
        << console->Transcript();
    ASSERT_TRUE(console->WaitForShell(120)) << domain << ":\n" << console->Transcript();
    int code = 0;
    Output(*console, kQuietShell, &code);
    std::cerr << "[real] " << domain << ": shell on ttyS0 after " << Seconds(boot_start)
              << " s (3 guests booting at once)\n";
  }

  std::set<std::string> fingerprints;
  for (const GuestVm& vm : kGuests) {
    const std::string domain = Domain(kBooted, vm.name);
    it::SerialSession& c = *consoles[domain];
    SCOPED_TRACE(domain + " (" + vm.flavour + ")");
    int code = 0;
    EXPECT_EQ(Trim(Output(c, "hostname", &code)), std::string(vm.name) + "-" + kBooted);

    // The lab's address on the NIC with the lab's MAC, named after its network.
    EXPECT_EQ(Trim(Output(c, "cat /sys/class/net/lan/address", &code)),
              core::MacAddress(domain, 0));
    std::string addr = Output(c, "ip -4 -br addr show dev lan", &code);
    EXPECT_NE(addr.find(std::string(vm.address) + "/24"), std::string::npos) << addr;

    // Its World by lab name: the neighbour answers.
    Output(c, std::string("ping -c 2 -W 3 ") + vm.neighbour, &code);
    EXPECT_EQ(code, 0) << "cannot ping " << vm.neighbour << ":\n" << c.Transcript();

    // The first-boot block ran exactly once, and is gone.
    EXPECT_EQ(Output(c, "cat /root/first-boot.txt", &code),
              std::string("first boot of ") + vm.name + "\n");
    EXPECT_EQ(
        Trim(Output(c, "grep -c 'first-boot block done' /var/log/worlds-first-boot.log", &code)),
        "1");
    EXPECT_EQ(Trim(Output(c, "grep -c 'BEGIN worlds' /etc/rc.local", &code)), "0");

    // Its own identity, as the store recorded it.
    const nlohmann::json& id = identity[domain];
    EXPECT_EQ(Trim(Output(c, "cat /etc/machine-id", &code)), id["machine_id"]);
    for (const auto& key : id["host_keys"]) {
      std::string line = Output(c,
                                "ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_" +
                                    key["type"].get<std::string>() + "_key.pub",
                                &code);
      EXPECT_NE(line.find(key["fingerprint"].get<std::string>()), std::string::npos) << line;
      fingerprints.insert(key["fingerprint"]);
    }
    EXPECT_EQ(Trim(Output(c, "systemctl is-active ssh", &code)), "active");
    std::cerr << "[real] " << domain << " (" << vm.flavour
              << "): " << Trim(Output(c, "systemd-analyze time | head -1", &code)) << "\n"
              << Output(c, "systemd-analyze blame | head -3", &code)
              << Output(c, "systemctl --failed --no-legend --plain", &code);
  }
  EXPECT_EQ(fingerprints.size(), 6u) << "every clone its own host keys";

  // The other World, offline: each clone carries the identity the store
  // recorded for it and the network of its lab, not the booted World's.
  for (const GuestVm& vm : kGuests) {
    const std::string domain = Domain("bob", vm.name);
    SCOPED_TRACE(domain + " (" + vm.flavour + ", offline)");
    const nlohmann::json& id = identity[domain];
    std::vector<std::string> paths = {"/etc/hostname", "/etc/machine-id"};
    for (const auto& key : id["host_keys"]) {
      paths.push_back("/etc/ssh/ssh_host_" + key["type"].get<std::string>() + "_key.pub");
    }
    std::vector<std::string> files = guest::ReadGuestFiles(
        core::OverlayPath(state_dir_, lab_, "bob", vm.name), paths, "qcow2");
    EXPECT_EQ(files[0], std::string(vm.name) + "-bob\n");
    EXPECT_EQ(Trim(files[1]), id["machine_id"].get<std::string>());
    for (size_t k = 0; k < id["host_keys"].size(); ++k) {
      EXPECT_EQ(Trim(files[2 + k]), id["host_keys"][k]["public_key"].get<std::string>());
      fingerprints.insert(id["host_keys"][k]["fingerprint"].get<std::string>());
    }
  }
  EXPECT_EQ(fingerprints.size(), 12u) << "every clone its own host keys";

  // The block ran exactly once: a reboot does not run it again. Both
  // guests reboot at once.
  std::map<std::string, size_t> marks;
  for (const char* vm : {"web", "desk"}) {
    it::SerialSession& c = *consoles[Domain(kBooted, vm)];
    marks[vm] = c.Mark();
    int code = 0;
    Output(c, "systemctl reboot", &code);
  }
  for (const char* vm : {"web", "desk"}) {
    SCOPED_TRACE(std::string(vm) + " after a reboot");
    it::SerialSession& c = *consoles[Domain(kBooted, vm)];
    ASSERT_TRUE(c.WaitFor("(automatic login)", kBootSeconds, marks[vm])) << c.Transcript();
    ASSERT_TRUE(c.WaitForShell(120)) << c.Transcript();
    int code = 0;
    Output(c, kQuietShell, &code);
    EXPECT_EQ(Output(c, "cat /root/first-boot.txt", &code),
              std::string("first boot of ") + vm + "\n");
    EXPECT_EQ(
        Trim(Output(c, "grep -c 'first-boot block done' /var/log/worlds-first-boot.log", &code)),
        "1");
    EXPECT_EQ(Trim(Output(c, "ip -4 -br addr show dev lan", &code)).find("lan "), 0u)
        << "the NIC has its lab name after a reboot too";
  }

  it::Run known = it::Worlds(Global({"known-hosts", lab_file_, "--owner", "alice"}));
  EXPECT_EQ(known.code, 0) << known.err;
  for (const auto& key : identity[Domain("alice", "router")]["host_keys"]) {
    EXPECT_NE(
        known.out.find("router-alice,router,10.20.0.1 " + key["public_key"].get<std::string>()),
        std::string::npos)
        << known.out;
  }
  consoles.clear();
  for (const GuestVm& vm : kGuests) {
    it::Exec({"virsh", "-c", "qemu:///system", "destroy", Domain(kBooted, vm.name)});
  }
}

// Root on LVM with a separate /boot, both students' clones in one appliance
// (--jobs 1): the clones share their volume group's name and UUIDs, so
// each is customized with LVM seeing only its own disk. Read back offline
// (one launch per disk: two disks, of different students and VMs). Nothing
// boots, so it has a suite of its own that CTest may run beside others.
class RealLvmTest : public RealGuestTest {};

TEST_F(RealLvmTest, RootOnLvmWithSeparateBootIsCustomized) {
  const GuestVm vms[] = {{"router", "lvm", "10.20.0.1", ""}, {"web", "lvm", "10.20.0.2", ""}};
  Prepare("lvm", {std::begin(vms), std::end(vms)});
  if (IsSkipped() || HasFatalFailure()) return;
  it::Run inspect = it::Worlds(Global({"image", "inspect", "--json", ImagePath("lvm")}));
  ASSERT_EQ(inspect.code, 0) << inspect.out << inspect.err;
  nlohmann::json report = nlohmann::json::parse(inspect.out)["inspection"];
  EXPECT_TRUE(report["lvm"].get<bool>()) << inspect.out;
  ASSERT_EQ(report["mounts"].size(), 2u) << inspect.out;
  EXPECT_EQ(report["mounts"][0]["mountpoint"], "/");
  EXPECT_EQ(report["mounts"][0]["device"], "/dev/vg0/root");
  EXPECT_EQ(report["mounts"][1]["mountpoint"], "/boot");
  EXPECT_EQ(report["mounts"][1]["device"], "/dev/sda1");

  it::Run deploy = it::Worlds(Global({"deploy", lab_file_, "--roster", roster_, "--jobs", "1"}));
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  EXPECT_NE(deploy.out.find("1 worker(s), 1 appliance launch(es) for 4 disk(s)"), std::string::npos)
      << deploy.out;
  std::map<std::string, nlohmann::json> identity = Identities();
  for (const auto& [owner, vm] : {std::pair{"alice", vms[0]}, std::pair{"bob", vms[1]}}) {
    const std::string domain = Domain(owner, vm.name);
    SCOPED_TRACE(domain);
    std::vector<std::string> files = guest::ReadGuestFiles(
        core::OverlayPath(state_dir_, lab_, owner, vm.name),
        {"/etc/hostname", "/etc/machine-id", "/etc/network/interfaces.d/worlds",
         "/etc/systemd/network/10-worlds-lan.link", "/boot/grub/grub.cfg",
         "/etc/network/interfaces.d/ens2"},
        "qcow2");
    EXPECT_EQ(files[0], std::string(vm.name) + "-" + owner + "\n");
    EXPECT_EQ(files[1], identity[domain]["machine_id"].get<std::string>() + "\n");
    EXPECT_NE(files[2].find("iface lan inet static"), std::string::npos) << files[2];
    EXPECT_NE(files[3].find("MACAddress=" + core::MacAddress(domain, 0)), std::string::npos);
    EXPECT_NE(files[4].find("console=ttyS0"), std::string::npos) << "/boot was mounted";
    EXPECT_EQ(files[5], "") << "the image's DHCP stanza for ens2 is gone";
  }
}

// An image with no operating system is refused when the lab is validated,
// at the image's place in the lab, before anything is changed.
TEST(ImageValidationTest, ImageWithoutOsIsRefusedAtValidate) {
  setenv("LIBGUESTFS_BACKEND", "direct", 0);
  setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
  support::TempDir temp("worlds-it-noos-", 0755, "/tmp");  // QEMU reads the disk
  const std::string& dir = temp.path();
  ASSERT_EQ(it::Exec({"qemu-img", "create", "-q", "-f", "qcow2", dir + "/blank.qcow2", "64M"}).code,
            0);
  std::ofstream(dir + "/noos.yaml")
      << "lab: itnoos\nimages:\n  - name: blank\n    file: " << dir << "/blank.qcow2\n"
      << "    format: qcow2\nnetworks:\n  - name: lan\n    cidr: 10.30.0.0/24\n"
      << "vms:\n  - name: pc\n    image: blank\n    nics:\n      - network: lan\n"
      << "        ip: 10.30.0.1\n";
  it::Run validate =
      it::Worlds({"--state-dir", dir + "/state", "lab", "validate", dir + "/noos.yaml"});
  EXPECT_EQ(validate.code, 2) << validate.out << validate.err;
  EXPECT_NE(validate.err.find(dir + "/noos.yaml:3:5: image 'blank' (" + dir +
                              "/blank.qcow2) cannot be used: libguestfs inspection found no "
                              "operating system on it"),
            std::string::npos)
      << validate.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/state")) << "validation changes nothing";
}

}  // namespace

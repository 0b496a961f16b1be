// The libvirt adapter against the real qemu:///system: isolated networks,
// domains on a tiny (unbootable) qcow2, the internal `clean` snapshot, and
// clean-up. Names carry the prefix w-vtest-<pid>- and TearDown removes all
// of them, whatever happened in the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "integration/harness.h"
#include "support/temp_dir.h"
#include "virt/hypervisor.h"

namespace virt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUri = "qemu:///system";

class VirtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = "w-vtest-" + std::to_string(::getpid()) + "-";
    try {
      hv_ = NewLibvirtHypervisor(kUri);
    } catch (const core::Error& e) {
      IT_REQUIRE(false, e.Describe());
    }
    temp_.emplace("worlds-it-virt-", 0755, "/tmp");  // QEMU reads the disks
    dir_ = temp_->path();
  }

  void TearDown() override {
    if (hv_) {
      // Clean-up must not stop at the first failure: collect, then report.
      std::vector<std::string> failures;
      try {
        for (const std::string& d : hv_->ListDomains(prefix_)) {
          try {
            hv_->RemoveDomain(d);
          } catch (const core::Error& e) {
            failures.push_back(e.Describe());
          }
        }
        for (const std::string& n : hv_->ListNetworks(prefix_)) {
          try {
            hv_->RemoveNetwork(n);
          } catch (const core::Error& e) {
            failures.push_back(e.Describe());
          }
        }
      } catch (const core::Error& e) {
        failures.push_back(e.Describe());
      }
      for (const std::string& f : failures) ADD_FAILURE() << "clean-up: " << f;
    }
    temp_.reset();
  }

  NetworkSpec Net(const std::string& suffix) {
    // Bridges: "wvt" + pid + suffix stays within Linux's 15 characters.
    return {prefix_ + suffix, "wvt" + std::to_string(::getpid()) + suffix.substr(0, 3)};
  }

  std::string MakeDisk(const std::string& name) {
    std::string path = dir_ + "/" + name + ".qcow2";
    it::Run r = it::Exec({"qemu-img", "create", "-q", "-f", "qcow2", path, "16M"});
    EXPECT_EQ(r.code, 0) << r.err;
    return path;
  }

  DomainSpec Dom(const std::string& suffix, const std::string& disk,
                 const std::string& network) {
    DomainSpec spec;
    spec.name = prefix_ + suffix;
    spec.accel = "qemu";
    spec.memory_mib = 64;
    spec.disk_path = disk;
    spec.interfaces = {{network, "52:54:00:7e:57:01"}};
    spec.title = "worlds virt integration test";
    spec.console_log = dir_ + "/" + suffix + ".log";
    return spec;
  }

  template <typename F>
  void ExpectError(F f, const std::string& text) {
    try {
      f();
      ADD_FAILURE() << "no error; expected: " << text;
    } catch (const core::Error& e) {
      EXPECT_EQ(e.Describe(), text);
    }
  }

  std::string prefix_;
  std::optional<support::TempDir> temp_;
  std::string dir_;
  std::unique_ptr<Hypervisor> hv_;
};

TEST_F(VirtTest, EnsureNetworkConvergesAndIsIsolated) {
  NetworkSpec net = Net("lan");
  hv_->EnsureNetwork(net);
  hv_->EnsureNetwork(net);
  EXPECT_TRUE(hv_->NetworkExists(net.name));
  EXPECT_EQ(hv_->ListNetworks(prefix_), std::vector<std::string>{net.name});

  it::Run xml = it::Exec({"virsh", "-c", kUri, "net-dumpxml", net.name});
  ASSERT_EQ(xml.code, 0) << xml.err;
  EXPECT_EQ(xml.out.find("<forward"), std::string::npos) << xml.out;
  EXPECT_EQ(xml.out.find("<ip"), std::string::npos) << xml.out;
  EXPECT_NE(xml.out.find("<bridge name='" + net.bridge + "'"), std::string::npos)
      << xml.out;

  it::Run info = it::Exec({"virsh", "-c", kUri, "net-info", net.name});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("Active:         yes"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Autostart:      yes"), std::string::npos) << info.out;

  // Stopped behind our back (a host reboot before autostart ran): Ensure
  // starts it again without redefining.
  ASSERT_EQ(it::Exec({"virsh", "-c", kUri, "net-destroy", net.name}).code, 0);
  hv_->EnsureNetwork(net);
  info = it::Exec({"virsh", "-c", kUri, "net-info", net.name});
  EXPECT_NE(info.out.find("Active:         yes"), std::string::npos) << info.out;

  hv_->RemoveNetwork(net.name);
  EXPECT_FALSE(hv_->NetworkExists(net.name));
  hv_->RemoveNetwork(net.name);  // absent: a no-op
  EXPECT_TRUE(hv_->ListNetworks(prefix_).empty());
}

TEST_F(VirtTest, DomainCleanSnapshotLivesInTheDiskAndSurvivesRemoval) {
  NetworkSpec net = Net("lan");
  hv_->EnsureNetwork(net);
  std::string disk = MakeDisk("pc");
  DomainSpec spec = Dom("pc", disk, net.name);

  hv_->DefineDomain(spec);
  EXPECT_TRUE(hv_->DomainExists(spec.name));
  EXPECT_EQ(hv_->ListDomains(prefix_), std::vector<std::string>{spec.name});
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);
  ExpectError([&] { hv_->DefineDomain(spec); },
              spec.name + ": domain '" + spec.name + "' already exists (remove it first)");

  EXPECT_FALSE(hv_->HasSnapshot(spec.name, "clean"));
  hv_->CreateSnapshot(spec.name, "clean");
  EXPECT_TRUE(hv_->HasSnapshot(spec.name, "clean"));
  EXPECT_EQ(hv_->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
  ExpectError([&] { hv_->CreateSnapshot(spec.name, "clean"); },
              spec.name + ": domain '" + spec.name + "' already has a snapshot 'clean'");

  // Internal: inside the qcow2 itself, where qemu-img sees it.
  it::Run snaps = it::Exec({"qemu-img", "snapshot", "-l", disk});
  ASSERT_EQ(snaps.code, 0) << snaps.err;
  EXPECT_NE(snaps.out.find(" clean "), std::string::npos) << snaps.out;

  hv_->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);
  ExpectError([&] { hv_->RevertToSnapshot(spec.name, "nope"); },
              spec.name + ": domain '" + spec.name + "' has no snapshot 'nope'");

  hv_->RemoveDomain(spec.name);
  EXPECT_FALSE(hv_->DomainExists(spec.name));
  hv_->RemoveDomain(spec.name);  // absent: a no-op
  ASSERT_TRUE(fs::exists(disk));
  snaps = it::Exec({"qemu-img", "snapshot", "-l", disk});
  EXPECT_NE(snaps.out.find(" clean "), std::string::npos) << snaps.out;

  // Defined again on the same disk, libvirt knows no snapshot: the internal
  // one is still in the file, but only metadata makes it visible.
  hv_->DefineDomain(spec);
  EXPECT_FALSE(hv_->HasSnapshot(spec.name, "clean"));

  // Adopting registers the one in the file again; no second `clean` appears
  // in the disk, and reverting to it works.
  hv_->AdoptSnapshot(spec.name, "clean");
  hv_->AdoptSnapshot(spec.name, "clean");  // already known: a no-op
  EXPECT_EQ(hv_->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
  hv_->Start(spec.name);
  hv_->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);
  snaps = it::Exec({"qemu-img", "snapshot", "-l", disk});
  size_t first = snaps.out.find(" clean ");
  ASSERT_NE(first, std::string::npos) << snaps.out;
  EXPECT_EQ(snaps.out.find(" clean ", first + 1), std::string::npos) << snaps.out;
}

TEST_F(VirtTest, StartPowerOffAndRevertOfARunningDomain) {
  NetworkSpec net = Net("lan");
  hv_->EnsureNetwork(net);
  DomainSpec spec = Dom("pc", MakeDisk("pc"), net.name);
  hv_->DefineDomain(spec);
  hv_->CreateSnapshot(spec.name, "clean");
  const std::string not_running = spec.name + ": domain '" + spec.name + "' is not running";
  ExpectError([&] { hv_->PowerOff(spec.name); }, not_running);
  ExpectError([&] { hv_->Shutdown(spec.name); }, not_running);

  // No boot loader on the disk: QEMU (TCG) sits at "no bootable device",
  // which is running all the same.
  hv_->Start(spec.name);
  EXPECT_EQ(hv_->State(spec.name), DomainState::kRunning);
  ExpectError([&] { hv_->Start(spec.name); },
              spec.name + ": domain '" + spec.name + "' is already running");
  ExpectError([&] { hv_->CreateSnapshot(spec.name, "late"); },
              spec.name + ": domain '" + spec.name +
                  "' must be shut off to take snapshot 'late' (power it off first)");
  hv_->PowerOff(spec.name);
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);

  // A snapshot taken shut off brings a running domain back shut off.
  hv_->Start(spec.name);
  hv_->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);

  // Removing a running domain powers it off first.
  hv_->Start(spec.name);
  hv_->RemoveDomain(spec.name);
  EXPECT_FALSE(hv_->DomainExists(spec.name));
}

TEST_F(VirtTest, AbsentNamesAreNoOpsOrClearErrors) {
  const std::string name = prefix_ + "absent";
  EXPECT_FALSE(hv_->DomainExists(name));
  EXPECT_FALSE(hv_->NetworkExists(name));
  hv_->RemoveDomain(name);
  hv_->RemoveNetwork(name);
  const std::string text = name + ": domain '" + name + "' does not exist";
  ExpectError([&] { hv_->State(name); }, text);
  ExpectError([&] { hv_->Start(name); }, text);
  ExpectError([&] { hv_->HasSnapshot(name, "clean"); }, text);
  EXPECT_TRUE(hv_->ListDomains(prefix_).empty());
}

TEST_F(VirtTest, StartFailsWithLibvirtsWordsWhenTheNetworkIsMissing) {
  DomainSpec spec = Dom("pc", MakeDisk("pc"), prefix_ + "gone");
  hv_->DefineDomain(spec);
  ExpectError([&] { hv_->Start(spec.name); },
              spec.name + ": cannot start domain: Network not found: no network "
                          "with matching name '" + prefix_ + "gone'");
}

}  // namespace
}  // namespace virt

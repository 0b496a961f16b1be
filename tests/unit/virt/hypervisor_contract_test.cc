// The Hypervisor contract: one set of cases run against the fake
// (tests/fakes/fake_hypervisor.*) and against the real libvirt adapter on
// libvirt's in-process test driver (test:///default: no daemon, no files,
// no guests), so the fake cannot drift from what libvirt does. What the
// test driver cannot show is at the end, as cases of the fake alone (the
// real behaviour is shown against qemu:///system by the integration tests
// named there).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "fakes/fake_hypervisor.h"
#include "support/error_text.h"
#include "virt/errors.h"
#include "virt/hypervisor.h"

namespace virt {
namespace {

struct Fake {
  static constexpr bool kReal = false;
  static std::unique_ptr<Hypervisor> Make() { return std::make_unique<fakes::FakeHypervisor>(); }
};

struct LibvirtTestDriver {
  static constexpr bool kReal = true;
  static std::unique_ptr<Hypervisor> Make() { return NewLibvirtHypervisor("test:///default"); }
};

class Names {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same<T, Fake>::value ? "Fake" : "LibvirtTestDriver";
  }
};

template <typename T>
class HypervisorContractTest : public ::testing::Test {
 protected:
  // test:///default is one state shared by every connection of the process:
  // names carry the pid and a prefix of this suite's own, and every case
  // removes what it made.
  void SetUp() override {
    hv_ = T::Make();
    prefix_ = "w-ct" + std::to_string(::getpid()) + "-";
  }

  void TearDown() override {
    for (const std::string& d : hv_->ListDomains(prefix_)) hv_->RemoveDomain(d);
    for (const std::string& n : hv_->ListNetworks(prefix_)) hv_->RemoveNetwork(n);
  }

  NetworkSpec Net(const std::string& suffix) {
    // The bridge name stays within Linux's 15 characters.
    return {prefix_ + suffix, "wct" + std::to_string(::getpid() % 100000) + suffix.substr(0, 4)};
  }

  DomainSpec Dom(const std::string& suffix) {
    DomainSpec spec;
    spec.name = prefix_ + suffix;
    spec.memory_mib = 192;
    spec.vcpus = 2;
    spec.disk_path = "/nonexistent/" + suffix + ".qcow2";  // neither opens it
    return spec;
  }

  // A domain on its own network, defined and shut off.
  DomainSpec Defined(const std::string& suffix) {
    NetworkSpec net = Net("n" + suffix);
    hv_->EnsureNetwork(net);
    DomainSpec spec = Dom(suffix);
    spec.interfaces = {{net.name, "52:54:00:00:00:01"}};
    hv_->DefineDomain(spec);
    return spec;
  }

  // Shutdown returns at once; the state follows when the guest obeys (at
  // once in the fake and in the test driver).
  DomainState SettledState(const std::string& name) {
    for (int i = 0; i < 50 && hv_->State(name) != DomainState::kShutOff; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return hv_->State(name);
  }

  std::unique_ptr<Hypervisor> hv_;
  std::string prefix_;
};

using Implementations = ::testing::Types<Fake, LibvirtTestDriver>;
TYPED_TEST_SUITE(HypervisorContractTest, Implementations, Names);

TYPED_TEST(HypervisorContractTest, DefinedDomainExistsShutOffWithItsSize) {
  DomainSpec spec = this->Dom("pc");
  EXPECT_FALSE(this->hv_->DomainExists(spec.name));
  this->hv_->DefineDomain(spec);
  EXPECT_TRUE(this->hv_->DomainExists(spec.name));
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kShutOff);
  EXPECT_EQ(this->hv_->Size(spec.name), (DomainSize{192, 2}));
}

TYPED_TEST(HypervisorContractTest, UsageListsEachDomainOfThePrefixWithSizeAndState) {
  DomainSpec a = this->Defined("ua");
  DomainSpec b = this->Defined("ub");
  this->hv_->Start(b.name);
  std::vector<DomainUsage> usage = this->hv_->Usage(this->prefix_);
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].name, a.name);
  EXPECT_EQ(usage[0].state, DomainState::kShutOff);
  EXPECT_EQ(usage[0].memory_mib, 192);
  EXPECT_EQ(usage[0].vcpus, 2);
  EXPECT_EQ(usage[0].cpu_time_ns, 0u);
  EXPECT_EQ(usage[1].name, b.name);
  EXPECT_EQ(usage[1].state, DomainState::kRunning);
  EXPECT_TRUE(this->hv_->Usage(this->prefix_ + "none").empty());
}

TYPED_TEST(HypervisorContractTest, HostReportsMemoryAndCpus) {
  HostInfo host = this->hv_->Host();
  EXPECT_GT(host.memory_mib, 0);
  EXPECT_GT(host.cpus, 0);
  EXPECT_GE(host.free_mib, 0);
  EXPECT_LE(host.free_mib, host.memory_mib);
}

TYPED_TEST(HypervisorContractTest, DefiningAnExistingDomainIsRefused) {
  DomainSpec spec = this->Dom("pc");
  this->hv_->DefineDomain(spec);
  spec.memory_mib = 512;
  EXPECT_EQ(support::ErrorText([&] { this->hv_->DefineDomain(spec); }),
            DomainAlreadyExists(spec.name).Describe());
  EXPECT_EQ(this->hv_->Size(spec.name).memory_mib, 192);  // the first one stays
}

TYPED_TEST(HypervisorContractTest, StartShutdownAndPowerOffChangeTheState) {
  DomainSpec spec = this->Defined("pc");
  this->hv_->Start(spec.name);
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kRunning);
  this->hv_->Shutdown(spec.name);
  EXPECT_EQ(this->SettledState(spec.name), DomainState::kShutOff);
  this->hv_->Start(spec.name);
  this->hv_->PowerOff(spec.name);
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kShutOff);
}

TYPED_TEST(HypervisorContractTest, ActionsThatFindTheStateWrongSaySo) {
  DomainSpec spec = this->Defined("pc");
  EXPECT_EQ(support::ErrorText([&] { this->hv_->Shutdown(spec.name); }),
            NotRunning(spec.name).Describe());
  EXPECT_EQ(support::ErrorText([&] { this->hv_->PowerOff(spec.name); }),
            NotRunning(spec.name).Describe());
  this->hv_->Start(spec.name);
  EXPECT_EQ(support::ErrorText([&] { this->hv_->Start(spec.name); }),
            AlreadyRunning(spec.name).Describe());
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kRunning);
}

TYPED_TEST(HypervisorContractTest, MissingDomainIsTheSameErrorEverywhere) {
  const std::string name = this->prefix_ + "absent";
  const std::string expected = NoSuchDomain(name).Describe();
  Hypervisor& hv = *this->hv_;
  EXPECT_EQ(support::ErrorText([&] { hv.State(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.Size(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.Start(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.Shutdown(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.PowerOff(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.HasSnapshot(name, "clean"); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.CreateSnapshot(name, "clean"); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.AdoptSnapshot(name, "clean"); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.RevertToSnapshot(name, "clean"); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.ListSnapshots(name); }), expected);
  EXPECT_EQ(support::ErrorText([&] { hv.OpenConsole(name, false); }), expected);
  EXPECT_FALSE(hv.DomainExists(name));
}

TYPED_TEST(HypervisorContractTest, RemoveDomainPowersOffAndIsIdempotent) {
  DomainSpec spec = this->Defined("pc");
  this->hv_->CreateSnapshot(spec.name, "clean");
  this->hv_->Start(spec.name);
  this->hv_->RemoveDomain(spec.name);
  EXPECT_FALSE(this->hv_->DomainExists(spec.name));
  this->hv_->RemoveDomain(spec.name);  // absent is fine
  EXPECT_FALSE(this->hv_->DomainExists(spec.name));
}

TYPED_TEST(HypervisorContractTest, SnapshotsAreMadeFoundAndRevertedTo) {
  DomainSpec spec = this->Defined("pc");
  EXPECT_FALSE(this->hv_->HasSnapshot(spec.name, "clean"));
  this->hv_->CreateSnapshot(spec.name, "clean");
  this->hv_->CreateSnapshot(spec.name, "after");
  EXPECT_TRUE(this->hv_->HasSnapshot(spec.name, "clean"));
  EXPECT_FALSE(this->hv_->HasSnapshot(spec.name, "other"));
  EXPECT_EQ(this->hv_->ListSnapshots(spec.name), (std::vector<std::string>{"after", "clean"}));
  this->hv_->Start(spec.name);
  this->hv_->RevertToSnapshot(spec.name, "clean");  // taken shut off: it is shut off again
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kShutOff);
  this->hv_->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kShutOff);
}

TYPED_TEST(HypervisorContractTest, SnapshotMisuseIsRefused) {
  DomainSpec spec = this->Defined("pc");
  this->hv_->CreateSnapshot(spec.name, "clean");
  EXPECT_EQ(support::ErrorText([&] { this->hv_->CreateSnapshot(spec.name, "clean"); }),
            SnapshotAlreadyExists(spec.name, "clean").Describe());
  EXPECT_EQ(support::ErrorText([&] { this->hv_->RevertToSnapshot(spec.name, "nope"); }),
            NoSuchSnapshot(spec.name, "nope").Describe());
  this->hv_->Start(spec.name);
  EXPECT_EQ(support::ErrorText([&] { this->hv_->CreateSnapshot(spec.name, "later"); }),
            SnapshotNeedsShutOff(spec.name, "later").Describe());
  EXPECT_EQ(support::ErrorText([&] { this->hv_->AdoptSnapshot(spec.name, "clean"); }),
            SnapshotNeedsShutOff(spec.name, "clean").Describe());
  EXPECT_EQ(this->hv_->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
}

TYPED_TEST(HypervisorContractTest, RedefinedDomainForgetsSnapshotsUntilAdopted) {
  DomainSpec spec = this->Defined("pc");
  this->hv_->CreateSnapshot(spec.name, "clean");
  this->hv_->RemoveDomain(spec.name);
  this->hv_->DefineDomain(spec);
  EXPECT_FALSE(this->hv_->HasSnapshot(spec.name, "clean"));
  this->hv_->AdoptSnapshot(spec.name, "clean");
  this->hv_->AdoptSnapshot(spec.name, "clean");  // known already: a no-op
  EXPECT_EQ(this->hv_->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
  this->hv_->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(this->hv_->State(spec.name), DomainState::kShutOff);
}

TYPED_TEST(HypervisorContractTest, NetworksAreEnsuredAndRemovedIdempotently) {
  NetworkSpec net = this->Net("lan");
  EXPECT_FALSE(this->hv_->NetworkExists(net.name));
  this->hv_->EnsureNetwork(net);
  EXPECT_TRUE(this->hv_->NetworkExists(net.name));
  this->hv_->EnsureNetwork(net);  // exists and active: nothing to do
  EXPECT_EQ(this->hv_->ListNetworks(net.name), std::vector<std::string>{net.name});
  this->hv_->RemoveNetwork(net.name);
  EXPECT_FALSE(this->hv_->NetworkExists(net.name));
  this->hv_->RemoveNetwork(net.name);  // absent is fine
  EXPECT_FALSE(this->hv_->NetworkExists(net.name));
}

TYPED_TEST(HypervisorContractTest, ListsOnlyNamesWithThePrefixInOrder) {
  for (const char* suffix : {"b-pc", "a-pc", "a-web"}) this->hv_->DefineDomain(this->Dom(suffix));
  for (const char* suffix : {"b-lan", "a-lan"}) this->hv_->EnsureNetwork(this->Net(suffix));
  const std::string& p = this->prefix_;
  EXPECT_EQ(this->hv_->ListDomains(p + "a-"), (std::vector<std::string>{p + "a-pc", p + "a-web"}));
  EXPECT_EQ(this->hv_->ListDomains(p), (std::vector<std::string>{p + "a-pc", p + "a-web", p + "b-pc"}));
  EXPECT_EQ(this->hv_->ListNetworks(p), (std::vector<std::string>{p + "a-lan", p + "b-lan"}));
  EXPECT_EQ(this->hv_->ListNetworks(p + "b-"), std::vector<std::string>{p + "b-lan"});
  EXPECT_TRUE(this->hv_->ListDomains(p + "none-").empty());
}

TYPED_TEST(HypervisorContractTest, ConsoleOfAShutOffDomainIsRefused) {
  DomainSpec spec = this->Defined("pc");
  EXPECT_EQ(support::ErrorText([&] { this->hv_->OpenConsole(spec.name, false); }),
            NotRunning(spec.name).Describe());
}

TYPED_TEST(HypervisorContractTest, SpecsLibvirtCannotTakeAreRefusedBeforeAnythingIsMade) {
  DomainSpec spec = this->Dom("pc");
  spec.disk_path = "/a\x01";
  EXPECT_EQ(support::ErrorText([&] { this->hv_->DefineDomain(spec); }),
            spec.name + ": disk path contains a control character");
  EXPECT_FALSE(this->hv_->DomainExists(spec.name));
  NetworkSpec net = this->Net("lan");
  net.bridge = "wb\x01";
  EXPECT_EQ(support::ErrorText([&] { this->hv_->EnsureNetwork(net); }),
            net.name + ": bridge name contains a control character");
  EXPECT_FALSE(this->hv_->NetworkExists(net.name));
}

// --- what libvirt's test driver cannot show ----------------------------

using FakeOnlyTest = HypervisorContractTest<Fake>;
using LibvirtTestDriverOnlyTest = HypervisorContractTest<LibvirtTestDriver>;

// The test driver starts a domain whose network is missing or inactive;
// qemu:///system refuses, as the fake does (tests/integration/virt_test.cc).
TEST_F(FakeOnlyTest, StartingWithoutTheNetworkFails) {
  DomainSpec spec = Dom("pc");
  spec.interfaces = {{prefix_ + "gone", "52:54:00:00:00:02"}};
  hv_->DefineDomain(spec);
  EXPECT_EQ(support::ErrorText([&] { hv_->Start(spec.name); }),
            spec.name + ": cannot start domain: Network not found: no network with matching name '" +
                prefix_ + "gone'");
  EXPECT_EQ(hv_->State(spec.name), DomainState::kShutOff);
}

// Bridges' kernel settings exist only on the local host: qemu:///system
// guards them (tests/integration/virt_test.cc); the fake counts them.
TEST_F(FakeOnlyTest, GuardNetworksCountsTheActiveNetworksOfThePrefix) {
  hv_->EnsureNetwork(Net("lan"));
  hv_->EnsureNetwork(Net("dmz"));
  EXPECT_EQ(hv_->GuardNetworks(prefix_), 2);
  EXPECT_EQ(hv_->GuardNetworks(prefix_ + "lan"), 1);
  EXPECT_EQ(hv_->GuardNetworks(prefix_ + "none"), 0);
}

// test:///default is not the local host: there GuardNetworks guards nothing.
TEST_F(LibvirtTestDriverOnlyTest, GuardNetworksIsANoOpOffTheLocalHost) {
  hv_->EnsureNetwork(Net("lan"));
  EXPECT_EQ(hv_->GuardNetworks(prefix_), 0);
}

// The test driver has no consoles (virDomainOpenConsole is not supported by
// it); the broker's integration tests open real ones, once unless forced.
TEST_F(FakeOnlyTest, ARunningDomainsConsoleOpensOnceUnlessForced) {
  DomainSpec spec = Defined("pc");
  hv_->Start(spec.name);
  std::unique_ptr<ConsoleStream> first = hv_->OpenConsole(spec.name, false);
  EXPECT_EQ(support::ErrorText([&] { hv_->OpenConsole(spec.name, false); }),
            spec.name +
                ": cannot open the console: operation failed: Active console session exists "
                "for this domain");
  std::unique_ptr<ConsoleStream> forced = hv_->OpenConsole(spec.name, true);
  char byte;
  EXPECT_EQ(first->Read(&byte, 1), 0u);  // taken over: the old session ends
}

}  // namespace
}  // namespace virt

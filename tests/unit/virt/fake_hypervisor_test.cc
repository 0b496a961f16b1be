#include "fakes/fake_hypervisor.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace fakes {
namespace {

using virt::DomainState;

class FakeHypervisorTest : public ::testing::Test {
 protected:
  virt::DomainSpec Spec(const std::string& name) {
    virt::DomainSpec spec;
    spec.name = name;
    spec.disk_path = "/tmp/" + name + ".qcow2";
    spec.interfaces = {{"w-lab-alice-lan", "52:54:00:00:00:01"}};
    return spec;
  }

  // Asserts that `f` throws core::Error whose Describe() is `text`.
  template <typename F>
  void ExpectError(F f, const std::string& text) {
    try {
      f();
      ADD_FAILURE() << "no error; expected: " << text;
    } catch (const core::Error& e) {
      EXPECT_EQ(e.Describe(), text);
    }
  }

  FakeHypervisor hv_;
};

TEST_F(FakeHypervisorTest, EnsureNetworkConvergesAndRemoveOfAbsentIsNoOp) {
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.networks["w-lab-alice-lan"].active = false;  // e.g. after a host reboot
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  EXPECT_TRUE(hv_.NetworkExists("w-lab-alice-lan"));
  EXPECT_TRUE(hv_.networks["w-lab-alice-lan"].active);
  EXPECT_TRUE(hv_.networks["w-lab-alice-lan"].autostart);
  EXPECT_EQ(hv_.networks.size(), 1u);
  hv_.RemoveNetwork("w-lab-alice-lan");
  hv_.RemoveNetwork("w-lab-alice-lan");
  EXPECT_FALSE(hv_.NetworkExists("w-lab-alice-lan"));
  EXPECT_EQ(hv_.calls, (std::vector<std::string>{
                           "EnsureNetwork w-lab-alice-lan",
                           "EnsureNetwork w-lab-alice-lan",
                           "NetworkExists w-lab-alice-lan",
                           "RemoveNetwork w-lab-alice-lan",
                           "RemoveNetwork w-lab-alice-lan",
                           "NetworkExists w-lab-alice-lan"}));
}

TEST_F(FakeHypervisorTest, EnsureNetworkRefusesWhatCannotRender) {
  ExpectError([&] { hv_.EnsureNetwork({"w-lab-alice-lan", "a-bridge-name-too-long"}); },
              "w-lab-alice-lan: bridge name 'a-bridge-name-too-long' must have 1 to "
              "15 characters");
  EXPECT_TRUE(hv_.networks.empty());
}

TEST_F(FakeHypervisorTest, ListsFilterByPrefixSorted) {
  hv_.EnsureNetwork({"w-lab-bob-lan", "wb2"});
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.EnsureNetwork({"other", "wb3"});
  hv_.DefineDomain(Spec("w-lab-bob-pc"));
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  hv_.DefineDomain(Spec("w-other-alice-pc"));
  EXPECT_EQ(hv_.ListNetworks("w-lab-"),
            (std::vector<std::string>{"w-lab-alice-lan", "w-lab-bob-lan"}));
  EXPECT_EQ(hv_.ListDomains("w-lab-"),
            (std::vector<std::string>{"w-lab-alice-pc", "w-lab-bob-pc"}));
  EXPECT_EQ(hv_.ListDomains("").size(), 3u);
}

TEST_F(FakeHypervisorTest, DefineTwiceIsAnError) {
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kShutOff);
  ExpectError([&] { hv_.DefineDomain(Spec("w-lab-alice-pc")); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' already exists (remove it first)");
}

TEST_F(FakeHypervisorTest, DefineRefusesWhatCannotRender) {
  virt::DomainSpec spec = Spec("w-lab-alice-pc");
  spec.accel = "hyperv";
  EXPECT_THROW(hv_.DefineDomain(spec), core::Error);
  EXPECT_FALSE(hv_.DomainExists("w-lab-alice-pc"));
}

TEST_F(FakeHypervisorTest, PowerCyclesWithClearErrors) {
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  ExpectError([&] { hv_.PowerOff("w-lab-alice-pc"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' is not running");
  ExpectError([&] { hv_.Shutdown("w-lab-alice-pc"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' is not running");
  hv_.Start("w-lab-alice-pc");
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kRunning);
  ExpectError([&] { hv_.Start("w-lab-alice-pc"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' is already running");
  hv_.Shutdown("w-lab-alice-pc");
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kShutOff);
  hv_.Start("w-lab-alice-pc");
  hv_.PowerOff("w-lab-alice-pc");
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kShutOff);
}

TEST_F(FakeHypervisorTest, StartNeedsItsNetworksActive) {
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  ExpectError([&] { hv_.Start("w-lab-alice-pc"); },
              "w-lab-alice-pc: cannot start domain: Network not found: no network "
              "with matching name 'w-lab-alice-lan'");
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.networks["w-lab-alice-lan"].active = false;
  ExpectError([&] { hv_.Start("w-lab-alice-pc"); },
              "w-lab-alice-pc: cannot start domain: Requested operation is not valid: "
              "network 'w-lab-alice-lan' is not active");
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kShutOff);
}

TEST_F(FakeHypervisorTest, AbsentDomainsAreErrorsExceptForRemoveAndExists) {
  EXPECT_FALSE(hv_.DomainExists("w-nope"));
  hv_.RemoveDomain("w-nope");
  const std::string text = "w-nope: domain 'w-nope' does not exist";
  ExpectError([&] { hv_.State("w-nope"); }, text);
  ExpectError([&] { hv_.Start("w-nope"); }, text);
  ExpectError([&] { hv_.Shutdown("w-nope"); }, text);
  ExpectError([&] { hv_.PowerOff("w-nope"); }, text);
  ExpectError([&] { hv_.HasSnapshot("w-nope", "clean"); }, text);
  ExpectError([&] { hv_.CreateSnapshot("w-nope", "clean"); }, text);
  ExpectError([&] { hv_.RevertToSnapshot("w-nope", "clean"); }, text);
  ExpectError([&] { hv_.ListSnapshots("w-nope"); }, text);
}

TEST_F(FakeHypervisorTest, SnapshotCleanThenRevertLeavesItShutOff) {
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  EXPECT_FALSE(hv_.HasSnapshot("w-lab-alice-pc", "clean"));
  ExpectError([&] { hv_.RevertToSnapshot("w-lab-alice-pc", "clean"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' has no snapshot 'clean'");
  hv_.CreateSnapshot("w-lab-alice-pc", "clean");
  EXPECT_TRUE(hv_.HasSnapshot("w-lab-alice-pc", "clean"));
  ExpectError([&] { hv_.CreateSnapshot("w-lab-alice-pc", "clean"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' already has a snapshot 'clean'");
  hv_.CreateSnapshot("w-lab-alice-pc", "b-second");
  EXPECT_EQ(hv_.ListSnapshots("w-lab-alice-pc"),
            (std::vector<std::string>{"b-second", "clean"}));

  hv_.Start("w-lab-alice-pc");
  ExpectError([&] { hv_.CreateSnapshot("w-lab-alice-pc", "late"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' must be shut off to take "
              "snapshot 'late' (power it off first)");
  hv_.RevertToSnapshot("w-lab-alice-pc", "clean");
  EXPECT_EQ(hv_.State("w-lab-alice-pc"), DomainState::kShutOff);
}

TEST_F(FakeHypervisorTest, RemoveDomainForgetsSnapshotsEvenWhenRunning) {
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  hv_.CreateSnapshot("w-lab-alice-pc", "clean");
  hv_.Start("w-lab-alice-pc");
  hv_.RemoveDomain("w-lab-alice-pc");
  EXPECT_FALSE(hv_.DomainExists("w-lab-alice-pc"));
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  EXPECT_FALSE(hv_.HasSnapshot("w-lab-alice-pc", "clean"));
}

TEST_F(FakeHypervisorTest, AdoptRegistersOnceAndNeedsShutOff) {
  hv_.EnsureNetwork({"w-lab-alice-lan", "wb1"});
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  hv_.AdoptSnapshot("w-lab-alice-pc", "clean");
  hv_.AdoptSnapshot("w-lab-alice-pc", "clean");
  EXPECT_EQ(hv_.ListSnapshots("w-lab-alice-pc"), std::vector<std::string>{"clean"});
  hv_.Start("w-lab-alice-pc");
  ExpectError([&] { hv_.AdoptSnapshot("w-lab-alice-pc", "other"); },
              "w-lab-alice-pc: domain 'w-lab-alice-pc' must be shut off to take "
              "snapshot 'other' (power it off first)");
  ExpectError([&] { hv_.AdoptSnapshot("w-nope", "clean"); },
              "w-nope: domain 'w-nope' does not exist");
}

TEST_F(FakeHypervisorTest, FailOnThrowsForMatchingCallsOnlyAndRecordsThem) {
  hv_.FailOn("DefineDomain w-lab-bob", "injected: disk full");
  hv_.DefineDomain(Spec("w-lab-alice-pc"));
  ExpectError([&] { hv_.DefineDomain(Spec("w-lab-bob-pc")); }, "injected: disk full");
  EXPECT_FALSE(hv_.DomainExists("w-lab-bob-pc"));
  EXPECT_EQ(hv_.calls[1], "DefineDomain w-lab-bob-pc");

  hv_.FailOn("CreateSnapshot", "injected: qemu-img failed");
  ExpectError([&] { hv_.CreateSnapshot("w-lab-alice-pc", "clean"); },
              "injected: qemu-img failed");
  EXPECT_TRUE(hv_.ListSnapshots("w-lab-alice-pc").empty());

  hv_.ClearFailures();
  hv_.DefineDomain(Spec("w-lab-bob-pc"));
  hv_.CreateSnapshot("w-lab-alice-pc", "clean");
  EXPECT_EQ(hv_.calls.back(), "CreateSnapshot w-lab-alice-pc clean");
}

TEST(DomainStateTest, ToStringMatchesVirsh) {
  EXPECT_STREQ(virt::ToString(DomainState::kRunning), "running");
  EXPECT_STREQ(virt::ToString(DomainState::kPaused), "paused");
  EXPECT_STREQ(virt::ToString(DomainState::kShutOff), "shut off");
  EXPECT_STREQ(virt::ToString(DomainState::kOther), "other");
}

}  // namespace
}  // namespace fakes

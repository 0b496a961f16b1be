#include "deploy/status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/names.h"
#include "fakes/fake_disks.h"
#include "fakes/fake_hypervisor.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
  }

  // `overlay`: an overlay (FakeDisks), with `clean` inside when `clean`.
  store::VmRecord Row(const std::string& vm, store::VmPhase phase, bool overlay,
                      bool clean = true) {
    store::VmRecord row;
    row.lab = "netlab";
    row.owner = "alice";
    row.vm = vm;
    row.domain = core::DomainName("netlab", "alice", vm);
    row.overlay = (dir_ / (vm + ".qcow2")).string();
    row.phase = phase;
    if (overlay) fakes::FakeDisks::Write(row.overlay, clean);
    return row;
  }

  void Define(const std::string& domain, bool clean) {
    fakes::FakeHypervisor::Domain d;
    d.spec.name = domain;
    if (clean) d.snapshots.push_back(core::kCleanSnapshot);
    hv_.domains[domain] = d;
  }

  support::TempDir temp_{"worlds-status-test-"};
  std::filesystem::path dir_;
  fakes::FakeHypervisor hv_;
  fakes::FakeDisks disks_;
};

TEST_F(StatusTest, ReadyOnlyWithDomainOverlayAndClean) {
  std::vector<store::VmRecord> rows = {
      Row("router", store::VmPhase::kReady, true),    // complete
      Row("client", store::VmPhase::kReady, true, false),  // recorded ready, no clean
      Row("web", store::VmPhase::kDefined, true),     // complete, parent died first
  };
  Define(rows[0].domain, true);
  Define(rows[1].domain, false);
  Define(rows[2].domain, true);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, disks_, std::nullopt);
  ASSERT_EQ(vms.size(), 3u);
  EXPECT_EQ(vms[0].phase, "ready");
  EXPECT_EQ(vms[0].fix, "");
  EXPECT_EQ(vms[1].phase, "incomplete");
  EXPECT_EQ(vms[1].recorded, "ready");
  EXPECT_EQ(vms[1].fix, "worlds deploy rebuilds it (never booted, no student data)");
  EXPECT_EQ(vms[2].phase, "ready");
  EXPECT_EQ(vms[2].recorded, "defined");
  EXPECT_EQ(vms[2].state, "shut off");
}

TEST_F(StatusTest, MissingDomainIsKeptOverlayIncompleteOrMissing) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true),
                                       Row("client", store::VmPhase::kOverlay, false),
                                       Row("web", store::VmPhase::kOverlay, true, false)};
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, disks_, std::nullopt);
  EXPECT_EQ(vms[0].phase, "kept-overlay");
  EXPECT_EQ(vms[0].state, "missing");
  EXPECT_EQ(vms[1].phase, "missing");
  EXPECT_EQ(vms[1].fix, "worlds deploy builds it");
  // No `clean` inside: made by a deploy killed before customizing it.
  EXPECT_EQ(vms[2].phase, "incomplete");
  EXPECT_EQ(vms[2].fix, "worlds deploy rebuilds it (never booted, no student data)");
}

// Status and the plan classify alike (deploy::ClassifyVm): libvirt lost
// `clean` but the overlay has it, so deploy re-defines, never rebuilds.
TEST_F(StatusTest, DomainWithoutCleanOverStudentOverlayIsKeptOverlay) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true)};
  Define(rows[0].domain, false);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, disks_, std::nullopt);
  EXPECT_EQ(vms[0].phase, "kept-overlay");
  EXPECT_EQ(vms[0].fix, "worlds deploy re-defines it over the kept overlay");
}

// One rule with the plan: an unreadable overlay is reported with its
// reason, never taken as absent or as "incomplete".
TEST_F(StatusTest, UnreadableOverlayIsReportedWithTheReason) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true),
                                       Row("client", store::VmPhase::kCustomized, true)};
  fakes::FakeDisks::Corrupt(rows[0].overlay);
  fakes::FakeDisks::Corrupt(rows[1].overlay);
  Define(rows[1].domain, false);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, disks_, std::nullopt);
  for (const VmStatus& vm : vms) {
    EXPECT_EQ(vm.phase, "unreadable");
    EXPECT_EQ(vm.fix, "its overlay " + vm.overlay + " cannot be read (qemu-img: Could not open '" +
                          vm.overlay +
                          "': not a qcow2 image); deploy leaves it alone: check it with "
                          "qemu-img check, or move it away to have deploy rebuild the VM (its "
                          "student data is then lost)");
  }
  EXPECT_EQ(vms[0].state, "missing");
  EXPECT_EQ(vms[1].state, "shut off");
}

TEST_F(StatusTest, StrayDomainsOfTheLabAreListed) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true)};
  Define(rows[0].domain, true);
  Define("w-netlab-bob-router", false);  // defined by a deploy killed before its write
  Define("w-other-bob-router", false);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, disks_, std::string("w-netlab-"));
  ASSERT_EQ(vms.size(), 2u);
  EXPECT_EQ(vms[1].domain, "w-netlab-bob-router");
  EXPECT_EQ(vms[1].phase, "unrecorded");
  EXPECT_EQ(InspectVms(rows, &hv_, disks_, std::nullopt).size(), 1u);
}

TEST_F(StatusTest, NoLibvirtMeansUnknownNotReady) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true)};
  std::vector<VmStatus> vms = InspectVms(rows, nullptr, disks_, std::string("w-"));
  ASSERT_EQ(vms.size(), 1u);
  EXPECT_EQ(vms[0].phase, "unknown");
  EXPECT_EQ(vms[0].state, "unknown");
}

}  // namespace
}  // namespace deploy

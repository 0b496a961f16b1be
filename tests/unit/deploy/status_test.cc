#include "deploy/status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/names.h"
#include "fakes/fake_hypervisor.h"
#include "process/process.h"

namespace deploy {
namespace {

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("worlds-status-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `overlay`: a real qcow2, with `clean` inside when `clean`.
  store::VmRecord Row(const std::string& vm, store::VmPhase phase, bool overlay,
                      bool clean = true) {
    store::VmRecord row;
    row.lab = "netlab";
    row.owner = "alice";
    row.vm = vm;
    row.domain = core::DomainName("netlab", "alice", vm);
    row.overlay = (dir_ / (vm + ".qcow2")).string();
    row.phase = phase;
    if (overlay) {
      process::RunChecked({"qemu-img", "create", "-q", "-f", "qcow2", row.overlay, "16M"});
      if (clean) process::RunChecked({"qemu-img", "snapshot", "-c", "clean", row.overlay});
    }
    return row;
  }

  void Define(const std::string& domain, bool clean) {
    fakes::FakeHypervisor::Domain d;
    d.spec.name = domain;
    if (clean) d.snapshots.push_back(core::kCleanSnapshot);
    hv_.domains[domain] = d;
  }

  std::filesystem::path dir_;
  fakes::FakeHypervisor hv_;
};

TEST_F(StatusTest, ReadyOnlyWithDomainOverlayAndClean) {
  std::vector<store::VmRecord> rows = {
      Row("router", store::VmPhase::kReady, true),    // complete
      Row("client", store::VmPhase::kReady, true),    // recorded ready, no clean
      Row("web", store::VmPhase::kDefined, true),     // complete, parent died first
  };
  Define(rows[0].domain, true);
  Define(rows[1].domain, false);
  Define(rows[2].domain, true);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, std::nullopt);
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
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, std::nullopt);
  EXPECT_EQ(vms[0].phase, "kept-overlay");
  EXPECT_EQ(vms[0].state, "missing");
  EXPECT_EQ(vms[1].phase, "missing");
  EXPECT_EQ(vms[1].fix, "worlds deploy builds it");
  // No `clean` inside: made by a deploy killed before customizing it.
  EXPECT_EQ(vms[2].phase, "incomplete");
  EXPECT_EQ(vms[2].fix, "worlds deploy rebuilds it (never booted, no student data)");
}

TEST_F(StatusTest, StrayDomainsOfTheLabAreListed) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true)};
  Define(rows[0].domain, true);
  Define("w-netlab-bob-router", false);  // defined by a deploy killed before its write
  Define("w-other-bob-router", false);
  std::vector<VmStatus> vms = InspectVms(rows, &hv_, std::string("w-netlab-"));
  ASSERT_EQ(vms.size(), 2u);
  EXPECT_EQ(vms[1].domain, "w-netlab-bob-router");
  EXPECT_EQ(vms[1].phase, "unrecorded");
  EXPECT_EQ(InspectVms(rows, &hv_, std::nullopt).size(), 1u);
}

TEST_F(StatusTest, NoLibvirtMeansUnknownNotReady) {
  std::vector<store::VmRecord> rows = {Row("router", store::VmPhase::kReady, true)};
  std::vector<VmStatus> vms = InspectVms(rows, nullptr, std::string("w-"));
  ASSERT_EQ(vms.size(), 1u);
  EXPECT_EQ(vms[0].phase, "unknown");
  EXPECT_EQ(vms[0].state, "unknown");
}

}  // namespace
}  // namespace deploy

#include "capacity/plan_fit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capacity {
namespace {

using virt::DomainState;
using virt::DomainUsage;
using virt::HostInfo;

constexpr uint64_t kMiB = 1024 * 1024;

// `worlds` Worlds of two VMs (router 256 MiB 1 vCPU, client 512 MiB 2 vCPUs)
// over a base of 1024 MiB virtual size; no overlays yet.
LabDemand Lab(int worlds) {
  LabDemand lab;
  lab.lab = "netlab";
  for (int i = 0; i < worlds; ++i) {
    std::string owner = "s" + std::to_string(i);
    lab.worlds.push_back({{"w-netlab-" + owner + "-router", 256, 1, 1024 * kMiB, 0},
                          {"w-netlab-" + owner + "-client", 512, 2, 1024 * kMiB, 0}});
  }
  lab.base_bytes = 300 * kMiB;
  return lab;
}

HostSupply Host(int64_t ram_mib, int cpus, uint64_t free_bytes = 100000 * kMiB) {
  HostSupply supply;
  supply.host = HostInfo{ram_mib, ram_mib, cpus};
  supply.state_free_bytes = free_bytes;
  supply.state_dir = "/var/lib/worlds";
  return supply;
}

bool Has(const Fit& fit, const std::string& resource) {
  for (const Shortfall& s : fit.shortfalls) {
    if (s.resource == resource) return true;
  }
  return false;
}

TEST(PlanFitTest, ALabThatFitsHasNoShortfall) {
  Fit fit = FitPlan(PlanPolicy{}, Lab(4), Host(10000, 16));
  EXPECT_EQ(fit.lab_all_mib, 4 * 768);
  EXPECT_EQ(fit.lab_expected_mib, 4 * 768);
  EXPECT_EQ(*fit.budget_mib, 9000);
  EXPECT_EQ(fit.lab_expected_vcpus, 12);
  EXPECT_EQ(fit.growth_bytes, 8 * 256 * kMiB);  // 25% of 1024 MiB per VM
  EXPECT_TRUE(fit.shortfalls.empty());
  EXPECT_FALSE(fit.Refused());
  std::string text = DescribeFit(fit);
  EXPECT_NE(text.find("Capacity (4 World(s), 8 VM(s); expected-running 100% = 4 World(s); "
                      "capacity-check refuse):\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("memory, all 4 World(s) running  3072 MiB  0 MiB (0 running)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("budget 9000 MiB  fits\n"), std::string::npos) << text;
  EXPECT_NE(text.find("memory budget: 90% of 10000 MiB RAM × overcommit 1 = 9000 MiB\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("refused"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
}

TEST(PlanFitTest, TooBigAtFullConcurrencyFitsAtHalf) {
  PlanPolicy policy;
  // 12 Worlds × 768 MiB = 9216 MiB > 9000 MiB budget.
  Fit full = FitPlan(policy, Lab(12), Host(10000, 64));
  ASSERT_TRUE(Has(full, "memory"));
  EXPECT_TRUE(full.Refused());
  EXPECT_NE(DescribeFit(full).find(
                "refused: memory: 12 of 12 World(s) running (expected-running 100%) need "
                "9216 MiB, other domains hold 0 MiB: 9216 MiB of a budget of 9000 MiB, short "
                "by 216 MiB (90% of 10000 MiB RAM × overcommit 1 = 9000 MiB)\n"),
            std::string::npos)
      << DescribeFit(full);

  ASSERT_EQ(ParseExpectedRunning("50%", &policy), "");
  Fit half = FitPlan(policy, Lab(12), Host(10000, 64));
  EXPECT_EQ(half.expected_worlds, 6);
  EXPECT_EQ(half.lab_expected_mib, 6 * 768);
  EXPECT_FALSE(Has(half, "memory"));
  EXPECT_FALSE(half.Refused());
  std::string text = DescribeFit(half);
  // Both rows: the all-running one is over, but only a note.
  EXPECT_NE(text.find("over by 216 MiB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("memory, 6 running (expected)"), std::string::npos) << text;
}

TEST(PlanFitTest, ExpectedWorldsRoundUp) {
  PlanPolicy policy;
  ASSERT_EQ(ParseExpectedRunning("30%", &policy), "");
  EXPECT_EQ(FitPlan(policy, Lab(5), Host(10000, 64)).expected_worlds, 2);
  ASSERT_EQ(ParseExpectedRunning("1%", &policy), "");
  EXPECT_EQ(FitPlan(policy, Lab(5), Host(10000, 64)).expected_worlds, 1);
}

TEST(PlanFitTest, WarnReportsButDoesNotRefuse) {
  PlanPolicy policy;
  ASSERT_EQ(ParseCapacityCheck("warn", &policy), "");
  Fit fit = FitPlan(policy, Lab(12), Host(10000, 64));
  EXPECT_TRUE(Has(fit, "memory"));
  EXPECT_FALSE(fit.Refused());
  EXPECT_NE(DescribeFit(fit).find("warning: memory: 12 of 12 World(s)"), std::string::npos);
}

TEST(PlanFitTest, DiskShortIsRefused) {
  // 8 VMs × 256 MiB growth = 2048 MiB, 1000 MiB free.
  Fit fit = FitPlan(PlanPolicy{}, Lab(4), Host(10000, 64, 1000 * kMiB));
  ASSERT_TRUE(Has(fit, "disk"));
  EXPECT_TRUE(fit.Refused());
  EXPECT_NE(DescribeFit(fit).find(
                "refused: disk: the overlays may grow by 2048 MiB (overlay-growth 25% of the "
                "base's virtual size), /var/lib/worlds has 1000 MiB free, short by 1048 MiB\n"),
            std::string::npos)
      << DescribeFit(fit);
}

TEST(PlanFitTest, GrowthInMibLessWhatOverlaysHoldNow) {
  PlanPolicy policy;
  ASSERT_EQ(ParseOverlayGrowth("100", &policy), "");
  LabDemand lab = Lab(1);
  lab.worlds[0][0].overlay_bytes = 40 * kMiB;   // 60 MiB still to come
  lab.worlds[0][1].overlay_bytes = 150 * kMiB;  // past its budget: none
  Fit fit = FitPlan(policy, lab, Host(10000, 64));
  EXPECT_EQ(fit.growth_bytes, 60 * kMiB);
  EXPECT_EQ(fit.overlay_bytes, 190 * kMiB);
  EXPECT_EQ(fit.growth_rule, "100 MiB per VM");
}

TEST(PlanFitTest, MoreVcpusThanCpusIsOnlyAWarning) {
  Fit fit = FitPlan(PlanPolicy{}, Lab(2), Host(10000, 4));  // 6 vCPUs on 4
  ASSERT_TRUE(Has(fit, "vCPUs"));
  EXPECT_FALSE(fit.Refused());
  std::string text = DescribeFit(fit);
  EXPECT_NE(text.find("1.5× (time-shared: warning only)"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: vCPUs: 2 of 2 World(s) running (expected-running 100%) have "
                      "6, other domains 0: 6 on 4 host CPUs (1.5×)"),
            std::string::npos)
      << text;
}

TEST(PlanFitTest, DeployedWorldsCountOnceAndOthersCountWhileRunning) {
  HostSupply supply = Host(10000, 64);
  supply.domains = {
      {"w-netlab-s0-router", DomainState::kRunning, 256, 1, 0},  // ours: in the lab figure
      {"w-netlab-s0-client", DomainState::kShutOff, 512, 2, 0},
      {"w-netlab-old-vm", DomainState::kRunning, 1024, 1, 0},     // leaves with this deploy
      {"w-other-x-vm", DomainState::kRunning, 2000, 2, 0},        // another lab, running
      {"w-other-y-vm", DomainState::kShutOff, 4000, 2, 0},        // not running: not held
      {"someone-elses", DomainState::kPaused, 1000, 1, 0},
  };
  LabDemand lab = Lab(2);
  lab.leaving = {"w-netlab-old-vm"};
  Fit fit = FitPlan(PlanPolicy{}, lab, supply);
  EXPECT_EQ(fit.lab_all_mib, 1536);
  EXPECT_EQ(fit.others_mib, 3000);
  EXPECT_EQ(fit.others_running, 2);
  EXPECT_EQ(fit.others_vcpus, 3);
}

TEST(PlanFitTest, WithoutTheHostOnlyTheLabIsShown) {
  HostSupply supply;
  supply.state_dir = "/x";
  Fit fit = FitPlan(PlanPolicy{}, Lab(2), supply);
  EXPECT_TRUE(fit.shortfalls.empty());
  std::string text = DescribeFit(fit);
  EXPECT_NE(text.find("host not read"), std::string::npos) << text;
  EXPECT_NE(text.find("free not known"), std::string::npos) << text;
}

TEST(PlanFitTest, SettingsSayWhatIsExpected) {
  PlanPolicy policy;
  EXPECT_EQ(ParseExpectedRunning("0%", &policy),
            "is not a share of the lab's Worlds from 1% to 100% (e.g. 100%, 60%)");
  EXPECT_NE(ParseExpectedRunning("50", &policy), "");
  EXPECT_NE(ParseExpectedRunning("101%", &policy), "");
  EXPECT_EQ(ParseCapacityCheck("no", &policy), "is neither refuse nor warn");
  EXPECT_NE(ParseOverlayGrowth("2G", &policy), "");
  EXPECT_NE(ParseOverlayGrowth("1.5", &policy), "");
  EXPECT_EQ(ParseOverlayGrowth("0", &policy), "");
  EXPECT_EQ(ParseOverlayGrowth("50%", &policy), "");
  EXPECT_EQ(policy.growth_percent, 50);
  EXPECT_EQ(policy.growth_mib, 0);
}

}  // namespace
}  // namespace capacity

// The idle rule and its tracker, fed readings with explicit instants.
#include "schedule/idle.h"

#include <gtest/gtest.h>

namespace schedule {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr uint64_t kSecond = 1000000000ull;

TEST(IdleBetweenTest, BelowTwoPercentOfEachVcpuIsIdle) {
  core::IdlePolicy policy;  // 2%
  // One minute: 2% of one vCPU is 1.2 s.
  EXPECT_TRUE(IdleBetween(0, kSecond, minutes(1), 1, false, policy));
  EXPECT_FALSE(IdleBetween(0, 2 * kSecond, minutes(1), 1, false, policy));
  // Two vCPUs may use twice that.
  EXPECT_TRUE(IdleBetween(0, 2 * kSecond, minutes(1), 2, false, policy));
}

TEST(IdleBetweenTest, AConsoleSessionARestartOrNoTimeIsNeverIdle) {
  core::IdlePolicy policy;
  EXPECT_FALSE(IdleBetween(0, 0, minutes(1), 1, true, policy));
  EXPECT_FALSE(IdleBetween(5 * kSecond, kSecond, minutes(1), 1, false, policy));
  EXPECT_FALSE(IdleBetween(0, 0, seconds(0), 1, false, policy));
}

class IdleTrackerTest : public ::testing::Test {
 protected:
  IdleTrackerTest() { policy_.after_minutes = 30; }
  // A reading `minute` minutes after t0 with `cpu_s` seconds of CPU.
  bool At(int minute, uint64_t cpu_s, bool console = false, const std::string& domain = "d1") {
    return tracker_.Observe(domain, cpu_s * kSecond, 1, console, t0_ + minutes(minute), policy_);
  }
  TimePoint t0_ = TimePoint{} + std::chrono::hours(24 * 365 * 57);
  core::IdlePolicy policy_;
  IdleTracker tracker_;
};

TEST_F(IdleTrackerTest, IdleForTheWholePeriodTriggers) {
  EXPECT_FALSE(At(0, 100));  // first reading: no period yet
  EXPECT_FALSE(At(10, 101));
  EXPECT_EQ(tracker_.IdleSince("d1"), t0_);
  EXPECT_FALSE(At(20, 102));
  EXPECT_TRUE(At(30, 103));
  EXPECT_TRUE(At(40, 104));
}

TEST_F(IdleTrackerTest, ActivityStartsTheCountAgain) {
  At(0, 100);
  At(20, 101);
  EXPECT_FALSE(At(25, 200));  // busy
  EXPECT_FALSE(tracker_.IdleSince("d1"));
  EXPECT_FALSE(At(50, 201));  // idle since 25 only
  EXPECT_TRUE(At(55, 201));
}

TEST_F(IdleTrackerTest, AConsoleSessionStartsTheCountAgain) {
  At(0, 100);
  At(20, 100);
  EXPECT_FALSE(At(25, 100, /*console=*/true));
  EXPECT_FALSE(At(50, 100));
  EXPECT_TRUE(At(55, 100));
}

TEST_F(IdleTrackerTest, DomainsAreTrackedApartAndForgotten) {
  At(0, 100, false, "d1");
  At(0, 100, false, "d2");
  At(30, 100, false, "d1");
  EXPECT_TRUE(At(31, 100, false, "d1"));
  EXPECT_FALSE(At(31, 500, false, "d2"));
  tracker_.Forget("d1");
  EXPECT_FALSE(tracker_.IdleSince("d1"));
  EXPECT_FALSE(At(60, 100, false, "d1"));
}

TEST_F(IdleTrackerTest, EachReadingCarriesItsLabsPolicy) {
  At(0, 100);
  core::IdlePolicy short_policy;
  short_policy.after_minutes = 10;
  EXPECT_TRUE(tracker_.Observe("d1", 100 * kSecond, 1, false, t0_ + minutes(10), short_policy));
  EXPECT_FALSE(At(20, 100));
}

TEST_F(IdleTrackerTest, ARepeatedInstantChangesNothing) {
  At(0, 100);
  EXPECT_TRUE(At(30, 100));
  EXPECT_TRUE(At(30, 900));
  EXPECT_EQ(tracker_.IdleSince("d1"), t0_);
}

}  // namespace
}  // namespace schedule

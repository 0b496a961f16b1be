#include "capacity/budget.h"

#include <gtest/gtest.h>

#include <vector>

namespace capacity {
namespace {

using virt::DomainState;
using virt::DomainUsage;
using virt::HostInfo;

DomainUsage Dom(const std::string& name, int mib, DomainState state = DomainState::kRunning) {
  return DomainUsage{name, state, mib, 1, 0};
}

TEST(BudgetTest, DefaultIsNinetyPercentOfRamWithoutOvercommit) {
  Policy policy;
  EXPECT_EQ(BudgetMib(policy, HostInfo{10000, 0, 2}), 9000);
  EXPECT_EQ(DescribeBudget(policy, HostInfo{10000, 0, 2}),
            "90% of 10000 MiB RAM × overcommit 1 = 9000 MiB");
}

TEST(BudgetTest, FixedSizeAndOvercommitMultiply) {
  Policy policy;
  ASSERT_EQ(ParseMemoryBudget("2048", &policy), "");
  ASSERT_EQ(ParseOvercommit("1.5", &policy), "");
  EXPECT_EQ(BudgetMib(policy, HostInfo{100000, 0, 2}), 3072);
  ASSERT_EQ(ParseMemoryBudget("50%", &policy), "");
  EXPECT_EQ(policy.fixed_mib, 0);
  EXPECT_EQ(BudgetMib(policy, HostInfo{1000, 0, 2}), 750);
}

TEST(BudgetTest, BadValuesSayWhatIsExpected) {
  Policy policy;
  EXPECT_NE(ParseMemoryBudget("0%", &policy), "");
  EXPECT_NE(ParseMemoryBudget("101%", &policy), "");
  EXPECT_NE(ParseMemoryBudget("2G", &policy), "");
  EXPECT_NE(ParseMemoryBudget("", &policy), "");
  EXPECT_NE(ParseMemoryBudget("1.5", &policy), "");
  EXPECT_NE(ParseOvercommit("0", &policy), "");
  EXPECT_NE(ParseOvercommit("1..5", &policy), "");
  EXPECT_NE(ParseOvercommit("-1", &policy), "");
  EXPECT_NE(ParseMaxRunning("-1", &policy), "");
  EXPECT_NE(ParseMaxRunning("two", &policy), "");
  EXPECT_EQ(policy.percent, 90);  // nothing changed by a refused value
  EXPECT_EQ(policy.overcommit, 1.0);
  EXPECT_EQ(policy.max_running_per_owner, 0);
}

TEST(BudgetTest, SumCountsWhatIsNotShutOff) {
  Committed sum = Sum({Dom("a", 256), Dom("b", 512, DomainState::kPaused),
                       Dom("c", 1024, DomainState::kShutOff)});
  EXPECT_EQ(sum.memory_mib, 768);
  EXPECT_EQ(sum.running, 2);
  EXPECT_EQ(sum.vcpus, 2);
}

TEST(AdmitTest, AStartThatFitsIsAdmittedToTheLastMiB) {
  Policy policy;
  ASSERT_EQ(ParseMemoryBudget("1024", &policy), "");
  std::vector<DomainUsage> domains = {Dom("other", 768), Dom("vm", 256, DomainState::kShutOff)};
  EXPECT_FALSE(Admit(policy, HostInfo{8192, 0, 2}, domains, Dom("vm", 256), 0));
}

TEST(AdmitTest, AStartBeyondTheBudgetIsRefusedWithTheFigures) {
  Policy policy;
  ASSERT_EQ(ParseMemoryBudget("1024", &policy), "");
  std::vector<DomainUsage> domains = {Dom("other", 900), Dom("idle", 4096, DomainState::kShutOff)};
  std::optional<Refusal> refused = Admit(policy, HostInfo{8192, 0, 2}, domains, Dom("vm", 256), 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->rule, "memory");
  EXPECT_EQ(refused->message,
            "the lab host is full: 256 MiB needed, 124 MiB free; try again later or ask your "
            "instructor");
}

TEST(AdmitTest, OvercommitLetsMoreIn) {
  Policy policy;
  ASSERT_EQ(ParseMemoryBudget("1024", &policy), "");
  ASSERT_EQ(ParseOvercommit("1.5", &policy), "");
  EXPECT_FALSE(Admit(policy, HostInfo{8192, 0, 2}, {Dom("other", 1200)}, Dom("vm", 256), 0));
}

TEST(AdmitTest, TheVmItselfIsNotCountedTwice) {
  // Already running (a repeated start): its own memory is not "used".
  Policy policy;
  ASSERT_EQ(ParseMemoryBudget("256", &policy), "");
  EXPECT_FALSE(Admit(policy, HostInfo{8192, 0, 2}, {Dom("vm", 256)}, Dom("vm", 256), 0));
}

TEST(AdmitTest, PerStudentLimitIsCheckedFirst) {
  Policy policy;
  ASSERT_EQ(ParseMaxRunning("2", &policy), "");
  EXPECT_FALSE(Admit(policy, HostInfo{8192, 0, 2}, {}, Dom("vm", 256), 1));
  std::optional<Refusal> refused = Admit(policy, HostInfo{8192, 0, 2}, {}, Dom("vm", 256), 2);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->rule, "per-student");
  EXPECT_EQ(refused->message,
            "you have 2 VM(s) running, the most one student may run at once (2); stop one of "
            "them first");
}

}  // namespace
}  // namespace capacity

// Labs' policy JSON and the instructors' overrides, on :memory:.
#include <gtest/gtest.h>

#include "core/error.h"
#include "store/store.h"
#include "support/error_text.h"

namespace store {
namespace {

class LabPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::Open(":memory:");
    store_->UpsertLab("netlab", "labs/netlab.yaml", "Networking");
    store_->UpsertLab("alab", "labs/alab.yaml", "");
  }
  std::unique_ptr<Store> store_;
};

TEST_F(LabPolicyTest, PolicyIsEmptyUntilSetAndSurvivesARedeploy) {
  EXPECT_EQ(store_->FindLab("netlab")->policy, "");
  store_->SetLabPolicy("netlab", R"({"idle":{"after":30}})");
  store_->UpsertLab("netlab", "labs/netlab.yaml", "Networking 2");
  std::optional<LabRecord> lab = store_->FindLab("netlab");
  ASSERT_TRUE(lab);
  EXPECT_EQ(lab->policy, R"({"idle":{"after":30}})");
  EXPECT_EQ(lab->description, "Networking 2");
  EXPECT_FALSE(store_->FindLab("nolab"));
  std::vector<LabRecord> labs = store_->Labs();
  ASSERT_EQ(labs.size(), 2u);
  EXPECT_EQ(labs[0].name, "alab");
  EXPECT_EQ(labs[1].name, "netlab");
}

TEST_F(LabPolicyTest, AnUnrecordedLabIsAnError) {
  const core::Error e = support::ThrownError([&] { store_->SetLabPolicy("nolab", ""); });
  EXPECT_EQ(e.message(), "lab 'nolab' is not recorded in the state database");
  EXPECT_EQ(e.fix(), "deploy the lab first");
  EXPECT_THROW(store_->SetLabOverride({"nolab", true, std::nullopt, "prof", ""}), core::Error);
  EXPECT_FALSE(store_->FindLabOverride("nolab"));
}

TEST_F(LabPolicyTest, OverridesAreSetReplacedAndCleared) {
  EXPECT_FALSE(store_->FindLabOverride("netlab"));
  store_->SetLabOverride({"netlab", false, std::nullopt, "prof", ""});
  std::optional<LabOverrideRecord> first = store_->FindLabOverride("netlab");
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->open);
  EXPECT_FALSE(first->until);
  EXPECT_EQ(first->actor, "prof");
  EXPECT_EQ(first->at.size(), 24u) << first->at;  // 2027-01-11T14:00:00.000Z
  store_->SetLabOverride(
      {"netlab", true, std::string("2027-01-11T16:00:00Z"), "ta", "2027-01-11T14:00:00Z"});
  std::optional<LabOverrideRecord> second = store_->FindLabOverride("netlab");
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->open);
  EXPECT_EQ(second->until, "2027-01-11T16:00:00Z");
  EXPECT_EQ(second->actor, "ta");
  EXPECT_EQ(second->at, "2027-01-11T14:00:00Z");
  EXPECT_FALSE(store_->FindLabOverride("alab"));
  EXPECT_TRUE(store_->ClearLabOverride("netlab"));
  EXPECT_FALSE(store_->ClearLabOverride("netlab"));
  EXPECT_FALSE(store_->FindLabOverride("netlab"));
}

}  // namespace
}  // namespace store

#include "deploy/base_images.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "fakes/fake_disks.h"
#include "image/overlay.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

class BaseImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    base_ = dir_ + "/base.qcow2";
    std::ofstream(base_) << "a base image";
    lab_.name = "lab";
    core::BaseImage image;
    image.name = "tiny";
    image.path = base_;
    lab_.images.push_back(image);
    store_ = store::Store::Open(":memory:");
  }
  void TearDown() override {
    std::filesystem::permissions(base_, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
  }

  void ChangeBase() {
    std::filesystem::permissions(base_, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::ofstream(base_, std::ios::app) << "changed";
  }

  support::TempDir temp_{"worlds-base-test-"};
  std::string dir_, base_;
  core::Lab lab_;
  std::unique_ptr<store::Store> store_;
  fakes::FakeDisks disks_;
};

TEST_F(BaseImagesTest, RegistersChecksumAndMakesBaseReadOnly) {
  CheckBaseImages(lab_, *store_, disks_);
  std::optional<store::BaseImageRecord> record = store_->FindBaseImage(base_);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->checksum, image::Checksum(base_));
  struct stat st;
  ASSERT_EQ(stat(base_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u) << "nobody may write a base";
  CheckBaseImages(lab_, *store_, disks_);  // unchanged: fine again
}

TEST_F(BaseImagesTest, ChangedBaseWithoutOverlaysIsReRegistered) {
  CheckBaseImages(lab_, *store_, disks_);
  std::string before = store_->FindBaseImage(base_)->checksum;
  ChangeBase();
  CheckBaseImages(lab_, *store_, disks_);
  EXPECT_NE(store_->FindBaseImage(base_)->checksum, before);
}

TEST_F(BaseImagesTest, ChangedBaseUnderOverlaysIsRefused) {
  CheckBaseImages(lab_, *store_, disks_);
  std::string overlay = dir_ + "/w/alice/vm.qcow2";
  disks_.CreateOverlay(base_, "qcow2", overlay);
  store_->UpsertLab("lab", "lab.yaml", "");
  store_->UpsertWorld("lab", "alice", 1);
  store_->SetVm({"lab", "alice", "vm", "w-lab-alice-vm", overlay, store::VmPhase::kReady, ""});
  ChangeBase();
  core::Error e = support::ThrownError([&] { CheckBaseImages(lab_, *store_, disks_); });
  EXPECT_EQ(e.message(), "base image 'tiny' changed since overlays were made over it");
  EXPECT_EQ(e.where(), base_);
}

}  // namespace
}  // namespace deploy

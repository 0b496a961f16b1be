#include "deploy/base_images.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

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


// A lab host's disks (PlaceBaseImages): where each base path is, and what
// its file there holds; nothing there until the copy comes.
class HostDisks : public fakes::FakeDisks {
 public:
  bool Exists(const std::string& path) override { return files.count(path) > 0; }
  std::string Checksum(const std::string& path) override { return files.at(path); }
  std::map<std::string, std::string> files;  // path -> sha256 there
};

TEST_F(BaseImagesTest, AHostWithoutTheBaseGetsACopyVerifiedThere) {
  CheckBaseImages(lab_, *store_, disks_);
  auto host = std::make_shared<HostDisks>();
  HostAccess access;
  access.disks = host;
  std::vector<std::string> copies;
  access.copy_file = [&](const std::string& path, const std::string& sha256) {
    copies.push_back(path + " " + sha256);
    host->files[path] = sha256;  // __receive checked it
  };
  PlaceBaseImages(lab_, "h2", access, *store_);
  std::string sha256 = image::Checksum(base_);
  EXPECT_EQ(copies, std::vector<std::string>{base_ + " " + sha256});
  PlaceBaseImages(lab_, "h2", access, *store_);  // there now: no second copy
  EXPECT_EQ(copies.size(), 1u);
}

TEST_F(BaseImagesTest, AHostWithAnotherImageUnderTheSameNameIsRefused) {
  CheckBaseImages(lab_, *store_, disks_);
  auto host = std::make_shared<HostDisks>();
  host->files[base_] = std::string(64, 'e');
  HostAccess access;
  access.disks = host;
  access.copy_file = [](const std::string&, const std::string&) {
    FAIL() << "a file that is there is never replaced";
  };
  try {
    PlaceBaseImages(lab_, "h2", access, *store_);
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(), "lab host 'h2' has a different file under the name of image 'tiny' "
                           "(sha256 eeeeeeeeeeee… there, " +
                               image::Checksum(base_).substr(0, 12) + "… here)");
    EXPECT_EQ(e.where(), base_);
  }
}

TEST_F(BaseImagesTest, AHostSharingThisMachinesFilesGetsNoCopy) {
  HostAccess access;  // no copy_file: the same files
  access.disks = std::make_shared<HostDisks>();
  EXPECT_NO_THROW(PlaceBaseImages(lab_, "h1", access, *store_));
}

}  // namespace
}  // namespace deploy

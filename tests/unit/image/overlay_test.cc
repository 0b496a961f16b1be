#include "image/overlay.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/error.h"
#include "process/process.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace image {
namespace {

namespace fs = std::filesystem;

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    base_ = (dir_ / "base.qcow2").string();
    process::RunChecked({"qemu-img", "create", "-q", "-f", "qcow2", base_, "64M"});
  }
  support::TempDir temp_{"worlds-image-"};
  fs::path dir_;
  std::string base_;
};

TEST_F(OverlayTest, InspectReadsAPlainImage) {
  ImageInfo info = Inspect(base_);
  EXPECT_EQ(info.format, "qcow2");
  EXPECT_EQ(info.virtual_size, 64u << 20);
  EXPECT_EQ(info.backing_file, std::nullopt);
  EXPECT_EQ(info.backing_format, std::nullopt);
  EXPECT_TRUE(info.snapshots.empty());
  EXPECT_GT(info.actual_size, 0u);
}

TEST_F(OverlayTest, OverlayNamesBaseAndFormatAndLeavesBaseUnchanged) {
  std::string before = Checksum(base_);
  auto base_mtime = fs::last_write_time(base_);
  std::string overlay = (dir_ / "worlds/netlab/alice/web.qcow2").string();

  CreateOverlay(base_, "qcow2", overlay);

  ImageInfo info = Inspect(overlay);
  EXPECT_EQ(info.format, "qcow2");
  EXPECT_EQ(info.backing_file, base_);
  EXPECT_EQ(info.backing_format, "qcow2");
  EXPECT_EQ(info.virtual_size, 64u << 20);
  EXPECT_LT(AllocatedBytes(overlay), 1u << 20);
  EXPECT_EQ(Checksum(base_), before);
  EXPECT_EQ(fs::last_write_time(base_), base_mtime);
  // Only the overlay: no temporary file left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "worlds/netlab/alice"),
                          fs::directory_iterator()),
            1);
}

TEST_F(OverlayTest, RelativeBaseIsRecordedAbsolute) {
  fs::path old_cwd = fs::current_path();
  fs::current_path(dir_);
  CreateOverlay("base.qcow2", "qcow2", "sub/o.qcow2");
  fs::current_path(old_cwd);
  EXPECT_EQ(Inspect((dir_ / "sub/o.qcow2").string()).backing_file, base_);
}

TEST_F(OverlayTest, ExistingOverlayIsNeverOverwritten) {
  std::string overlay = (dir_ / "web.qcow2").string();
  CreateOverlay(base_, "qcow2", overlay);
  std::string before = Checksum(overlay);
  EXPECT_EQ(support::ErrorText([&] { CreateOverlay(base_, "qcow2", overlay); }),
            overlay +
                ": overlay already exists; refusing to overwrite it (delete it "
                "first only if losing the changes in it is intended)");
  EXPECT_EQ(Checksum(overlay), before);
}

TEST_F(OverlayTest, FailedCreateLeavesNothingBehind) {
  std::string overlay = (dir_ / "web.qcow2").string();
  // A wrong backing format makes qemu-img refuse the base.
  {
    const core::Error e = support::ThrownError([&] { CreateOverlay(base_, "vmdk", overlay); });
    EXPECT_EQ(e.message().rfind("'qemu-img' failed with exit code 1: qemu-img: ", 0), 0u)
        << e.message();
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(OverlayTest, MissingBaseIsNamed) {
  std::string missing = (dir_ / "nope.qcow2").string();
  EXPECT_EQ(
      support::ErrorText([&] { CreateOverlay(missing, "qcow2", (dir_ / "o.qcow2").string()); }),
      missing + ": base image not found (check the lab's base image path)");
  EXPECT_EQ(support::ErrorText([&] { Inspect(missing); }), missing + ": image file not found");
}

TEST_F(OverlayTest, InspectListsSnapshots) {
  std::string overlay = (dir_ / "web.qcow2").string();
  CreateOverlay(base_, "qcow2", overlay);
  process::RunChecked({"qemu-img", "snapshot", "-c", "clean", overlay});
  EXPECT_EQ(Inspect(overlay).snapshots, std::vector<std::string>{"clean"});
}

// A running VM's `clean`, exported to go ahead of its live migration: an
// image over the same base whose data and whose own `clean` are the
// snapshot's state, not what was written after it.
TEST_F(OverlayTest, ExportSnapshotCopiesTheSnapshotNotTheCurrentState) {
  std::string overlay = (dir_ / "web.qcow2").string();
  CreateOverlay(base_, "qcow2", overlay);
  process::RunChecked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 64k", overlay});
  process::RunChecked({"qemu-img", "snapshot", "-c", "clean", overlay});
  process::RunChecked({"qemu-io", "-f", "qcow2", "-c", "write -P 0x22 0 64k", overlay});
  std::string out = (dir_ / "there/web.qcow2").string();
  ExportSnapshot(overlay, "clean", out);
  ImageInfo info = Inspect(out);
  EXPECT_EQ(info.backing_file, base_);
  EXPECT_EQ(info.backing_format, "qcow2");
  EXPECT_EQ(info.snapshots, std::vector<std::string>{"clean"});
  auto reads = [&](const char* pattern) {
    process::Result read = process::Run(
        {"qemu-io", "-f", "qcow2", "-c", std::string("read -P ") + pattern + " 0 64k", out});
    return read.exit_code == 0 && read.out.find("failed") == std::string::npos;
  };
  EXPECT_TRUE(reads("0x11"));
  EXPECT_FALSE(reads("0x22"));
  EXPECT_EQ(support::ErrorText([&] { ExportSnapshot(overlay, "clean", out); }),
            out + ": overlay already exists; refusing to overwrite it (delete it first only if "
                  "losing the changes in it is intended)");
  EXPECT_EQ(support::ErrorText([&] { ExportSnapshot(overlay, "other", out + "2"); }),
            overlay + ": the image has no snapshot 'other'");
  EXPECT_FALSE(fs::exists(out + "2"));
}

TEST_F(OverlayTest, ChecksumIsSha256) {
  std::string file = (dir_ / "empty").string();
  process::RunChecked({"touch", file});
  EXPECT_EQ(Checksum(file), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string odd = (dir_ / "new\nline").string();
  process::RunChecked({"touch", odd});
  EXPECT_EQ(Checksum(odd), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(AllocatedBytes(file), 0u);
}

}  // namespace
}  // namespace image

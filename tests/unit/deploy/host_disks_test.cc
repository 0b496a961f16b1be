// A lab host's disks as the deploying machine sees them (deploy/host_disks.h):
// every Disks call goes through the request/answer lines and comes back as
// the host's disks answered it, errors with their place and fix. The
// transport here is a function call into the server's side over FakeDisks;
// the ssh transport is exercised by the second-host integration tests.
#include "deploy/host_disks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "fakes/fake_disks.h"
#include "image/overlay.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

class HostDisksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = temp_.path() + "/base.qcow2";
    std::ofstream(base_) << "a base image";
    overlay_ = temp_.path() + "/worlds/lab/ana/router.qcow2";
  }

  std::unique_ptr<Disks> Client() {
    return NewDisksClient([this](const std::string& request) {
      requests_.push_back(request);
      return AnswerDisksRequest(host_, request);
    }, "h2");
  }

  support::TempDir temp_{"worlds-host-disks-"};
  fakes::FakeDisks host_;
  std::string base_;
  std::string overlay_;
  std::vector<std::string> requests_;
};

TEST_F(HostDisksTest, EveryCallReachesTheHostsDisksAndComesBack) {
  std::unique_ptr<Disks> disks = Client();
  EXPECT_FALSE(disks->Exists(overlay_));
  disks->CreateOverlay(base_, "qcow2", overlay_);
  EXPECT_TRUE(disks->Exists(overlay_));
  EXPECT_FALSE(disks->HasClean(overlay_));
  EXPECT_EQ(disks->BackingFile(overlay_), std::optional<std::string>(base_));
  EXPECT_EQ(disks->AllocatedBytes(overlay_), host_.AllocatedBytes(overlay_));
  EXPECT_GT(disks->AllocatedBytes(overlay_), 0u);
  host_.virtual_bytes = 5ull << 30;
  host_.free_bytes = 7ull << 40;  // beyond 32 bits: the number is not cut
  EXPECT_EQ(disks->VirtualBytes(overlay_), 5ull << 30);
  EXPECT_EQ(disks->FreeBytes(temp_.path()), 7ull << 40);
  EXPECT_EQ(disks->Checksum(base_), image::Checksum(base_));
  fakes::FakeDisks::Write(overlay_, /*clean=*/true, base_);
  std::string exported = overlay_ + ".clean-export";
  disks->ExportSnapshot(overlay_, "clean", exported);
  EXPECT_TRUE(host_.HasClean(exported));
  disks->Remove(overlay_);
  EXPECT_FALSE(std::filesystem::exists(overlay_));
  EXPECT_EQ(host_.calls(),
            (std::vector<std::string>{"CreateOverlay " + overlay_, "HasClean " + overlay_,
                                      "BackingFile " + overlay_, "Checksum " + base_,
                                      "ExportSnapshot " + overlay_, "HasClean " + exported,
                                      "Remove " + overlay_}));
  EXPECT_EQ(requests_.size(), 12u);  // one per call above
}

TEST_F(HostDisksTest, AnOverlayWithoutABackingFileAnswersNone) {
  fakes::FakeDisks::Write(overlay_, /*clean=*/true);
  std::unique_ptr<Disks> disks = Client();
  EXPECT_EQ(disks->BackingFile(overlay_), std::nullopt);
  EXPECT_TRUE(disks->HasClean(overlay_));
}

TEST_F(HostDisksTest, TheHostsErrorsComeBackWithPlaceAndHost) {
  std::unique_ptr<Disks> disks = Client();
  try {
    disks->HasClean(overlay_);
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.where(), overlay_);
    EXPECT_EQ(e.message().rfind("lab host 'h2': ", 0), 0u) << e.message();
  }
  fakes::FakeDisks::Write(overlay_, false, base_);
  EXPECT_THROW(disks->CreateOverlay(base_, "qcow2", overlay_), core::Error);
}

TEST_F(HostDisksTest, NonsenseAndLostConnectionsAreErrorsThatNameTheHost) {
  std::unique_ptr<Disks> nonsense =
      NewDisksClient([](const std::string&) { return std::string("<html>"); }, "h2");
  try {
    nonsense->Exists(overlay_);
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_NE(e.message().find("lab host 'h2' answered a disk request with nonsense"),
              std::string::npos)
        << e.message();
  }
  std::unique_ptr<Disks> gone = NewDisksClient(
      [](const std::string&) -> std::string { throw core::Error("lost the connection", "h2"); },
      "h2");
  EXPECT_THROW(gone->Exists(overlay_), core::Error);
  // The server refuses what it does not know, in words.
  std::string answer = AnswerDisksRequest(host_, R"({"op": "format", "path": "/"})");
  EXPECT_NE(answer.find("unknown disk request 'format'"), std::string::npos) << answer;
  answer = AnswerDisksRequest(host_, "not json");
  EXPECT_NE(answer.find("\"ok\":false"), std::string::npos) << answer;
}

}  // namespace
}  // namespace deploy

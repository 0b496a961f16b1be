// The integration fixture: a lab of its own (the sample netlab renamed),
// the sample roster, a scratch state dir, and checks through virsh and
// qemu-img of everything a deploy must leave behind.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/names.h"
#include "integration/harness.h"
#include "support/roster.h"
#include "support/temp_dir.h"

namespace it {

inline const char* kUsers[] = {"alice", "bob", "carol"};
inline const char* kVms[] = {"router", "client"};

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_dir_ = it::TestImageDir();
    IT_REQUIRE(!image_dir_.empty(),
               "tiny test image (run tools/build-test-image build/images)");
    IT_REQUIRE(it::Exec({"virsh", "-q", "-c", "qemu:///system", "version"}).code == 0,
               "libvirtd on qemu:///system (run tools/start-daemons)");
    setenv("LIBGUESTFS_BACKEND", "direct", 0);
    setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
    // Mode 0755 under /tmp: QEMU runs as another user and reads the overlays.
    temp_.emplace("worlds-it-" + Name() + "-", 0755, "/tmp");
    dir_ = temp_->path();
    state_dir_ = dir_ + "/state";
    // The sample lab under a name of its own, so the test never touches a
    // real deployment of netlab.
    lab_file_ = dir_ + "/" + Lab() + ".yaml";
    support::WriteFile(lab_file_,
                       support::RenameLab(it::ReadFile(it::SourcePath("labs/netlab.yaml")), Lab()));
    roster_ = it::SourcePath("labs/rosters/sample.csv");
    ready_ = true;
  }

  void TearDown() override {
    if (!ready_) return;
    it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
    temp_.reset();
  }

  virtual std::string Name() const { return "deploy"; }
  std::string Lab() const { return "it" + Name(); }

  std::vector<std::string> Global(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--state-dir", state_dir_, "--image-dir", image_dir_,
                                    "--accel", "qemu"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  it::Run Deploy(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"deploy", lab_file_, "--roster", roster_};
    args.insert(args.end(), extra.begin(), extra.end());
    return it::Worlds(Global(args));
  }

  std::set<std::string> Domains() {
    std::set<std::string> out;
    std::istringstream in(
        it::Exec({"virsh", "-q", "-c", "qemu:///system", "list", "--all", "--name"}).out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("w-" + Lab() + "-", 0) == 0) out.insert(line);
    }
    return out;
  }

  std::set<std::string> ExpectedDomains() const {
    std::set<std::string> out;
    for (const char* user : kUsers) {
      for (const char* vm : kVms) out.insert(core::DomainName(Lab(), user, vm));
    }
    return out;
  }

  std::string Overlay(const char* user, const char* vm) const {
    return core::OverlayPath(state_dir_, Lab(), user, vm);
  }

  // Everything the acceptance list asks for, checked through virsh and
  // qemu-img.
  void ExpectFullDeployment() {
    EXPECT_EQ(Domains(), ExpectedDomains());
    std::set<std::string> bridges;
    for (const char* user : kUsers) {
      std::string net = core::NetworkName(Lab(), user, "lan");
      it::Run xml = it::Exec({"virsh", "-c", "qemu:///system", "net-dumpxml", net});
      ASSERT_EQ(xml.code, 0) << net << ": " << xml.err;
      EXPECT_EQ(xml.out.find("<forward"), std::string::npos) << xml.out;
      EXPECT_EQ(xml.out.find("<ip"), std::string::npos) << xml.out;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(xml.out, m, std::regex("<bridge name='([^']+)'")));
      EXPECT_LE(m[1].str().size(), 15u);
      bridges.insert(m[1].str());
      for (const char* vm : kVms) {
        std::string domain = core::DomainName(Lab(), user, vm);
        it::Run snaps = it::Exec(
            {"virsh", "-q", "-c", "qemu:///system", "snapshot-list", domain, "--name"});
        EXPECT_EQ(snaps.out.substr(0, snaps.out.find_last_not_of("\n") + 1), "clean")
            << domain;
        it::Run info = it::Exec({"qemu-img", "info", "--output=json", "-U",
                                 "--backing-chain", Overlay(user, vm)});
        ASSERT_EQ(info.code, 0) << info.err;
        nlohmann::json chain = nlohmann::json::parse(info.out);
        ASSERT_EQ(chain.size(), 2u) << "overlay over one base";
        EXPECT_EQ(chain[0]["format"], "qcow2");
        EXPECT_EQ(chain[0]["backing-filename"], image_dir_ + "/tiny.qcow2");
        EXPECT_EQ(chain[0]["backing-filename-format"], "qcow2");
        EXPECT_EQ(chain[0]["snapshots"][0]["name"], "clean");
        EXPECT_LT(chain[0]["actual-size"].get<int64_t>(), 4 << 20) << "never a full copy";
      }
    }
    EXPECT_EQ(bridges.size(), 3u) << "one bridge per World";
  }

  std::optional<support::TempDir> temp_;
  std::string dir_, state_dir_, image_dir_, lab_file_, roster_;
  bool ready_ = false;
};

// Waits until `path` contains `text` or `seconds` pass.
bool WaitForText(const std::string& path, const std::string& text, int seconds);

}  // namespace it

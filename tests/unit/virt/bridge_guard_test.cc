#include "virt/bridge_guard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/error_text.h"

namespace virt {
namespace {

namespace fs = std::filesystem;

// A stand-in for /proc/sys with one bridge's settings at Linux's defaults.
class BridgeGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("worlds-guard-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* dir : {"net/ipv4/conf/wb1234", "net/ipv6/conf/wb1234", "net/ipv6/conf/all"}) {
      fs::create_directories(root_ / dir);
    }
    for (const char* file : {"net/ipv4/conf/wb1234/arp_ignore", "net/ipv4/conf/wb1234/rp_filter",
                             "net/ipv6/conf/wb1234/disable_ipv6",
                             "net/ipv6/conf/all/disable_ipv6"}) {
      std::ofstream(root_ / file) << "0\n";
    }
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Read(const std::string& file) {
    std::ifstream in(root_ / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  fs::path root_;
};

TEST_F(BridgeGuardTest, SetsArpIgnoreRpFilterAndDisablesIpv6) {
  GuardBridge("wb1234", root_.string());
  EXPECT_EQ(Read("net/ipv4/conf/wb1234/arp_ignore"), "8\n");
  EXPECT_EQ(Read("net/ipv4/conf/wb1234/rp_filter"), "1\n");
  EXPECT_EQ(Read("net/ipv6/conf/wb1234/disable_ipv6"), "1\n");
}

TEST_F(BridgeGuardTest, KernelWithoutIpv6IsFine) {
  fs::remove_all(root_ / "net/ipv6");
  GuardBridge("wb1234", root_.string());
  EXPECT_EQ(Read("net/ipv4/conf/wb1234/rp_filter"), "1\n");
}

TEST_F(BridgeGuardTest, MissingBridgeIsAnErrorNamingTheSetting) {
  {
    const core::Error e = support::ThrownError([&] { GuardBridge("wb9999", root_.string()); });
    EXPECT_EQ(e.where(), root_.string() + "/net/ipv4/conf/wb9999/arp_ignore");
    EXPECT_EQ(e.message(), "cannot set 8: No such file or directory");
  }
}

TEST_F(BridgeGuardTest, RefusesNamesThatAreNotInterfaces) {
  for (const char* bad : {"", "..", "a/b", "../../../etc", "wb 1", "averyveryverylongname"}) {
    EXPECT_THROW(GuardBridge(bad, root_.string()), core::Error) << bad;
  }
}

}  // namespace
}  // namespace virt

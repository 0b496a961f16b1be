#include "accounts/sshd_check.h"

#include <gtest/gtest.h>

namespace accounts {
namespace {

std::vector<std::string> Texts(const std::vector<SshdFinding>& findings) {
  std::vector<std::string> texts;
  for (const SshdFinding& f : findings) texts.push_back(f.ToString());
  return texts;
}

// Lines of `sshd -T` (OpenSSH 9.2) for a student on Debian 12's default
// sshd_config without the Worlds drop-in.
constexpr const char* kDebianDefault =
    "port 22\n"
    "x11forwarding yes\n"
    "permittty yes\n"
    "allowtcpforwarding yes\n"
    "allowagentforwarding yes\n"
    "disableforwarding no\n"
    "allowstreamlocalforwarding yes\n"
    "forcecommand none\n"
    "permittunnel no\n"
    "permitopen any\n"
    "subsystem sftp /usr/lib/openssh/sftp-server\n";

// The same with the drop-in's Match Group worlds-students block applied.
constexpr const char* kWithDropIn =
    "port 22\n"
    "x11forwarding no\n"
    "permittty yes\n"
    "allowtcpforwarding no\n"
    "allowagentforwarding no\n"
    "disableforwarding yes\n"
    "allowstreamlocalforwarding no\n"
    "forcecommand /usr/bin/worlds-menu\n"
    "permittunnel no\n"
    "permitopen none\n"
    "permitlisten none\n";

TEST(SshdCheckTest, ParsesKeywordAndValue) {
  auto settings = ParseSshdSettings("port 22\nforcecommand /usr/bin/worlds-menu -x\r\nbare\n\n");
  EXPECT_EQ(settings.at("port"), "22");
  EXPECT_EQ(settings.at("forcecommand"), "/usr/bin/worlds-menu -x");
  EXPECT_EQ(settings.at("bare"), "");
}

TEST(SshdCheckTest, DebianDefaultLeavesEveryForwardingOpen) {
  EXPECT_EQ(Texts(OpenForwardings(kDebianDefault, "/usr/bin/worlds-menu")),
            (std::vector<std::string>{
                "allowtcpforwarding is yes (wanted: no)",
                "allowstreamlocalforwarding is yes (wanted: no)",
                "x11forwarding is yes (wanted: no)",
                "allowagentforwarding is yes (wanted: no)",
                "forcecommand is none (wanted: /usr/bin/worlds-menu)",
            }));
}

TEST(SshdCheckTest, TheDropInClosesEverything) {
  EXPECT_TRUE(OpenForwardings(kWithDropIn, "/usr/bin/worlds-menu").empty());
}

TEST(SshdCheckTest, DisableForwardingCoversTheFourSwitchesButNotTunnels) {
  std::string text = std::string(kDebianDefault) + "disableforwarding yes\n" +
                     "forcecommand /usr/bin/worlds-menu\npermittunnel point-to-point\n";
  EXPECT_EQ(Texts(OpenForwardings(text, "/usr/bin/worlds-menu")),
            (std::vector<std::string>{"permittunnel is point-to-point (wanted: no)"}));
}

TEST(SshdCheckTest, EachSettingIsJudgedOnItsOwn) {
  std::string text = std::string(kWithDropIn) + "disableforwarding no\nallowtcpforwarding local\n" +
                     "forcecommand /usr/local/bin/worlds-menu\n";
  EXPECT_EQ(Texts(OpenForwardings(text, "/usr/bin/worlds-menu")),
            (std::vector<std::string>{
                "allowtcpforwarding is local (wanted: no)",
                "forcecommand is /usr/local/bin/worlds-menu (wanted: /usr/bin/worlds-menu)",
            }));
}

TEST(SshdCheckTest, MissingSettingsCountAsOpen) {
  EXPECT_EQ(Texts(OpenForwardings("port 22\n", "/usr/bin/worlds-menu")),
            (std::vector<std::string>{
                "allowtcpforwarding is (missing) (wanted: no)",
                "allowstreamlocalforwarding is (missing) (wanted: no)",
                "x11forwarding is (missing) (wanted: no)",
                "allowagentforwarding is (missing) (wanted: no)",
                "permittunnel is (missing) (wanted: no)",
                "forcecommand is (missing) (wanted: /usr/bin/worlds-menu)",
            }));
}

}  // namespace
}  // namespace accounts

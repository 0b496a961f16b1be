#include "guest/render.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "guest/customizer.h"
#include "support/error_text.h"

namespace guest {
namespace {

// The block as RenderRcLocal writes it around `body` (the command lines).
std::string Block(const std::string& body, const std::string& path = "/etc/rc.local") {
  return "# BEGIN worlds first-boot\n"
         "# Written by Worlds before this VM's first boot; runs once, then removes itself.\n"
         "{\n" +
         body +
         "echo \"worlds: first-boot block done\"\n"
         "} 2>&1 | tee -a /var/log/worlds-first-boot.log || true\n"
         "sed -i '/^# BEGIN worlds first-boot$/,/^# END worlds first-boot$/d' " +
         path + "\n# END worlds first-boot\n";
}

std::string Commands(const std::string& lines) {
  return "(\n" + lines + ") || echo \"worlds: first-boot commands failed (status $?)\"\n";
}

TEST(RenderRcLocalTest, EmptyFileGetsShebangBlockAndExit) {
  EXPECT_EQ(RenderRcLocal("", {"touch /root/a", "echo hi"}),
            "#!/bin/sh\n" + Block(Commands("touch /root/a\necho hi\n")) + "exit 0\n");
}

TEST(RenderRcLocalTest, NoCommandsStillWritesSelfRemovingBlockWithoutSubshell) {
  EXPECT_EQ(RenderRcLocal("", {}), "#!/bin/sh\n" + Block("") + "exit 0\n");
}

TEST(RenderRcLocalTest, DebianStyleFileGetsBlockBeforeFinalExit) {
  const std::string debian =
      "#!/bin/sh -e\n"
      "#\n"
      "# rc.local\n"
      "#\n"
      "# This script is executed at the end of each multiuser runlevel.\n"
      "\n"
      "echo local-start\n"
      "\n"
      "exit 0\n";
  EXPECT_EQ(RenderRcLocal(debian, {"id"}),
            "#!/bin/sh -e\n"
            "#\n"
            "# rc.local\n"
            "#\n"
            "# This script is executed at the end of each multiuser runlevel.\n"
            "\n"
            "echo local-start\n"
            "\n" +
                Block(Commands("id\n")) + "exit 0\n");
}

TEST(RenderRcLocalTest, ExitFollowedByCommentsAndBlankLinesStillCountsAsFinal) {
  EXPECT_EQ(RenderRcLocal("#!/bin/sh\nexit 0\n\n# end\n", {"id"}),
            "#!/bin/sh\n" + Block(Commands("id\n")) + "exit 0\n\n# end\n");
}

TEST(RenderRcLocalTest, FileWithoutShebangOrExitGetsShebangAndBlockAppended) {
  EXPECT_EQ(RenderRcLocal("echo one\necho two", {"id"}),
            "#!/bin/sh\necho one\necho two\n" + Block(Commands("id\n")));
}

TEST(RenderRcLocalTest, ExitOneIsNotTheFinalExitZero) {
  EXPECT_EQ(RenderRcLocal("#!/bin/sh\nexit 1\n", {"id"}),
            "#!/bin/sh\nexit 1\n" + Block(Commands("id\n")));
}

TEST(RenderRcLocalTest, RerenderingReplacesTheBlockAndConverges) {
  const std::string debian = "#!/bin/sh -e\necho local\nexit 0\n";
  const std::string once = RenderRcLocal(debian, {"echo old"});
  const std::string twice = RenderRcLocal(once, {"echo new"});
  EXPECT_EQ(twice, "#!/bin/sh -e\necho local\n" + Block(Commands("echo new\n")) + "exit 0\n");
  EXPECT_EQ(RenderRcLocal(twice, {"echo new"}), twice);
  EXPECT_EQ(RenderRcLocal(RenderRcLocal("", {"a"}), {"a"}), RenderRcLocal("", {"a"}));
}

TEST(RenderRcLocalTest, RemovesEveryEarlierBlockEvenWhenDuplicated) {
  const std::string doubled = "#!/bin/sh\n" + Block(Commands("a\n")) +
                              "echo mine\n" + Block("") + "exit 0\n";
  EXPECT_EQ(RenderRcLocal(doubled, {"b"}),
            "#!/bin/sh\necho mine\n" + Block(Commands("b\n")) + "exit 0\n");
}

TEST(RenderRcLocalTest, UnterminatedBeginMarkerIsKeptRatherThanGuessed) {
  EXPECT_EQ(RenderRcLocal("#!/bin/sh\n# BEGIN worlds first-boot\necho mine\n", {"b"}),
            "#!/bin/sh\n# BEGIN worlds first-boot\necho mine\n" + Block(Commands("b\n")));
}

TEST(RenderRcLocalTest, CommandsAreInsertedVerbatimWithQuotesDollarsAndNewlines) {
  const std::vector<std::string> commands = {
      "echo \"$HOME\" 'single $x' `date` \\",
      "if true; then\n  echo multi\nfi\n",
      "useradd -m alice && echo 'alice:pw' | chpasswd"};
  EXPECT_EQ(RenderRcLocal("", commands),
            "#!/bin/sh\n" +
                Block(Commands("echo \"$HOME\" 'single $x' `date` \\\n"
                               "if true; then\n  echo multi\nfi\n"
                               "useradd -m alice && echo 'alice:pw' | chpasswd\n")) +
                "exit 0\n");
}

TEST(RenderRcLocalTest, RhelFileRemovesTheBlockFromItself) {
  EXPECT_EQ(RenderRcLocal("", {"id"}, "/etc/rc.d/rc.local"),
            "#!/bin/sh\n" + Block(Commands("id\n"), "/etc/rc.d/rc.local") + "exit 0\n");
}

TEST(FirstBootSedExpressionTest, MatchesExactlyTheMarkerLines) {
  EXPECT_EQ(FirstBootSedExpression(),
            "/^# BEGIN worlds first-boot$/,/^# END worlds first-boot$/d");
}

TEST(RenderInterfacesTest, NoNicsIsLoopbackOnly) {
  EXPECT_EQ(RenderInterfaces({}),
            "# Written by Worlds.\n"
            "auto lo\n"
            "iface lo inet loopback\n");
}

TEST(RenderInterfacesTest, OneNic) {
  EXPECT_EQ(RenderInterfaces({{"eth0", "10.1.2.3", 24}}),
            "# Written by Worlds.\n"
            "auto lo\n"
            "iface lo inet loopback\n"
            "\n"
            "auto eth0\n"
            "iface eth0 inet static\n"
            "    address 10.1.2.3\n"
            "    netmask 255.255.255.0\n");
}

TEST(RenderInterfacesTest, TwoNicsInOrder) {
  EXPECT_EQ(RenderInterfaces({{"eth0", "10.1.2.3", 16}, {"eth1", "192.168.7.5", 30}}),
            "# Written by Worlds.\n"
            "auto lo\n"
            "iface lo inet loopback\n"
            "\n"
            "auto eth0\n"
            "iface eth0 inet static\n"
            "    address 10.1.2.3\n"
            "    netmask 255.255.0.0\n"
            "\n"
            "auto eth1\n"
            "iface eth1 inet static\n"
            "    address 192.168.7.5\n"
            "    netmask 255.255.255.252\n");
}

TEST(RenderInterfacesTest, BadPrefixNamesTheValue) {
  EXPECT_EQ(support::ErrorText([&] {
              RenderInterfaces({{"eth0", "10.0.0.1", 33}});
            }),
            "network prefix /33 is not between 0 and 32 (use a CIDR prefix length such as 24)");
}

TEST(NetmaskFromPrefixTest, CoversTheEdges) {
  EXPECT_EQ(NetmaskFromPrefix(0), "0.0.0.0");
  EXPECT_EQ(NetmaskFromPrefix(1), "128.0.0.0");
  EXPECT_EQ(NetmaskFromPrefix(8), "255.0.0.0");
  EXPECT_EQ(NetmaskFromPrefix(16), "255.255.0.0");
  EXPECT_EQ(NetmaskFromPrefix(24), "255.255.255.0");
  EXPECT_EQ(NetmaskFromPrefix(25), "255.255.255.128");
  EXPECT_EQ(NetmaskFromPrefix(30), "255.255.255.252");
  EXPECT_EQ(NetmaskFromPrefix(32), "255.255.255.255");
  EXPECT_THROW(NetmaskFromPrefix(-1), core::Error);
}

TEST(RenderHostsTest, MissingFileGetsLocalhostLinesAndOurs) {
  EXPECT_EQ(RenderHosts("", "pc1"),
            "127.0.0.1 localhost\n127.0.1.1 pc1\n::1 localhost ip6-localhost ip6-loopback\n");
}

TEST(RenderHostsTest, ReplacesExistingLineAndDropsDuplicates) {
  EXPECT_EQ(RenderHosts("127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n10.0.0.9 srv\n"
                        "127.0.1.1 other\n",
                        "pc1"),
            "127.0.0.1\tlocalhost\n127.0.1.1 pc1\n10.0.0.9 srv\n");
}

TEST(RenderHostsTest, AddsAfterLastLocalhostLineWhenAbsent) {
  EXPECT_EQ(RenderHosts("# hosts\n127.0.0.1 localhost\n::1 ip6-localhost\n", "pc1"),
            "# hosts\n127.0.0.1 localhost\n127.0.1.1 pc1\n::1 ip6-localhost\n");
  EXPECT_EQ(RenderHosts("10.0.0.9 srv", "pc1"), "10.0.0.9 srv\n127.0.1.1 pc1\n");
}

TEST(RenderHostsTest, Converges) {
  const std::string once = RenderHosts("127.0.0.1 localhost\n", "pc1");
  EXPECT_EQ(RenderHosts(once, "pc1"), once);
}

TEST(RenderWorldHostsTest, AppendsOneLinePerVmInAMarkedBlock) {
  EXPECT_EQ(RenderWorldHosts("127.0.0.1 localhost\n",
                             {{"10.0.0.1", {"router-alice", "router"}},
                              {"10.0.0.2", {"client"}}}),
            "127.0.0.1 localhost\n"
            "# BEGIN worlds hosts\n"
            "# The VMs of this World, by hostname and lab VM name (Worlds).\n"
            "10.0.0.1 router-alice router\n"
            "10.0.0.2 client\n"
            "# END worlds hosts\n");
}

TEST(RenderWorldHostsTest, ReplacesAnEarlierBlockAndConverges) {
  const std::string once = RenderWorldHosts("127.0.0.1 localhost\n", {{"10.0.0.1", {"a"}}});
  const std::string twice = RenderWorldHosts(once, {{"10.0.0.9", {"b"}}});
  EXPECT_EQ(twice, RenderWorldHosts("127.0.0.1 localhost\n", {{"10.0.0.9", {"b"}}}));
  EXPECT_EQ(RenderWorldHosts(twice, {}), "127.0.0.1 localhost\n");
}

}  // namespace
}  // namespace guest

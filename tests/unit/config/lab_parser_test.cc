// The sample labs parse into what they say, and patterns are expanded.
#include "config/lab_parser.h"

#include <gtest/gtest.h>

#include "unit/config/test_support.h"

namespace config {
namespace {

using testing::Lines;
using testing::SourceDir;
using testing::TempImageDir;

TEST(LabParserTest, NetlabParses) {
  TempImageDir images;
  LabParseResult result =
      ParseLabFile(SourceDir() + "/labs/netlab.yaml", images.path());
  ASSERT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  ASSERT_TRUE(result.lab);
  const core::Lab& lab = *result.lab;
  EXPECT_EQ(lab.name, "netlab");
  EXPECT_EQ(lab.description, "Two hosts and a router on one private network");
  EXPECT_EQ(lab.source_file, SourceDir() + "/labs/netlab.yaml");

  ASSERT_EQ(lab.images.size(), 1u);
  EXPECT_EQ(lab.images[0].name, "tiny");
  EXPECT_EQ(lab.images[0].path, images.path() + "/tiny.qcow2");
  EXPECT_EQ(lab.images[0].format, "qcow2");
  EXPECT_EQ(lab.images[0].kernel, images.path() + "/tiny.vmlinuz");
  EXPECT_EQ(lab.images[0].initrd, images.path() + "/tiny.initrd");
  EXPECT_EQ(lab.images[0].cmdline, "root=/dev/vda rw console=ttyS0 quiet");

  ASSERT_EQ(lab.networks.size(), 1u);
  EXPECT_EQ(lab.networks[0].name, "lan");
  EXPECT_EQ(lab.networks[0].cidr, "10.10.0.0/24");
  EXPECT_EQ(lab.networks[0].address, 0x0a0a0000u);
  EXPECT_EQ(lab.networks[0].prefix, 24);

  ASSERT_EQ(lab.vms.size(), 2u);
  const core::LabVm& router = lab.vms[0];
  EXPECT_EQ(router.name, "router");
  EXPECT_EQ(router.image, "tiny");
  EXPECT_EQ(router.memory_mib, 256);
  EXPECT_EQ(router.vcpus, 1);
  EXPECT_EQ(router.hostname_pattern, "{vm}-{owner}");
  ASSERT_EQ(router.nics.size(), 1u);
  EXPECT_EQ(router.nics[0].network, "lan");
  EXPECT_EQ(router.nics[0].ip_pattern, "10.10.0.1");
  // Nic::pos is the ip value: "        ip: 10.10.0.1" on line 26.
  EXPECT_EQ(router.nics[0].pos.ToString(),
            SourceDir() + "/labs/netlab.yaml:26:13");
  EXPECT_EQ(router.pos.line, 19);
  EXPECT_EQ(router.commands.size(), 2u);
  EXPECT_EQ(lab.vms[1].name, "client");
  EXPECT_EQ(lab.vms[1].nics[0].ip_pattern, "10.10.0.10");
}

TEST(LabParserTest, WebstackParses) {
  TempImageDir images;
  LabParseResult result =
      ParseLabFile(SourceDir() + "/labs/webstack.yaml", images.path());
  ASSERT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  const core::Lab& lab = *result.lab;
  EXPECT_EQ(lab.name, "webstack");
  ASSERT_EQ(lab.networks.size(), 2u);
  EXPECT_EQ(lab.networks[1].prefix, 28);
  ASSERT_EQ(lab.vms.size(), 3u);
  EXPECT_EQ(lab.vms[0].nics.size(), 2u);
  EXPECT_EQ(lab.vms[1].memory_mib, 512);
  EXPECT_EQ(lab.vms[2].vcpus, 2);
}

TEST(LabParserTest, ImagesResolveAgainstTheLabDirectoryToo) {
  TempImageDir dir;
  std::string yaml =
      "lab: l\nimages:\n  - name: tiny\n    file: tiny.qcow2\n"
      "  - name: abs\n    file: " +
      dir.path() +
      "/tiny.initrd\n    format: raw\n"
      "vms:\n  - name: a\n    image: tiny\n";
  // No image_dir: the file is found next to the lab file.
  LabParseResult result = ParseLab(yaml, dir.path() + "/x.yaml", "");
  ASSERT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  EXPECT_EQ(result.lab->images[0].path, dir.path() + "/tiny.qcow2");
  EXPECT_EQ(result.lab->images[1].path, dir.path() + "/tiny.initrd");
  EXPECT_EQ(result.lab->images[1].format, "raw");
}

TEST(LabParserTest, DefaultsAndUnits) {
  TempImageDir images;
  std::string yaml =
      "lab: l\nimages: [{name: tiny, file: tiny.qcow2}]\nvms:\n"
      "  - {name: a, image: tiny}\n"
      "  - {name: b, image: tiny, memory: 1G, vcpus: 64}\n"
      "  - {name: c, image: tiny, memory: 2GiB}\n"
      "  - {name: d, image: tiny, memory: 100MiB}\n"
      "  - {name: e, image: tiny, memory: 65536}\n"
      "  - {name: f, image: tiny, memory: 64M}\n";
  LabParseResult result = ParseLab(yaml, "labs/l.yaml", images.path());
  ASSERT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  const auto& vms = result.lab->vms;
  EXPECT_EQ(vms[0].memory_mib, 256);
  EXPECT_EQ(vms[0].vcpus, 1);
  EXPECT_EQ(vms[0].hostname_pattern, "{vm}");
  EXPECT_TRUE(vms[0].nics.empty());
  EXPECT_TRUE(result.lab->networks.empty());
  EXPECT_EQ(vms[1].memory_mib, 1024);
  EXPECT_EQ(vms[1].vcpus, 64);
  EXPECT_EQ(vms[2].memory_mib, 2048);
  EXPECT_EQ(vms[3].memory_mib, 100);
  EXPECT_EQ(vms[4].memory_mib, 65536);
  EXPECT_EQ(vms[5].memory_mib, 64);
}

TEST(LabParserTest, NicGatewayAndDns) {
  TempImageDir images;
  std::string yaml =
      "lab: l\nimages: [{name: tiny, file: tiny.qcow2}]\n"
      "networks: [{name: lan, cidr: 10.10.0.0/24}]\nvms:\n"
      "  - name: router\n    image: tiny\n"
      "    nics: [{network: lan, ip: 10.10.0.1}]\n"
      "  - name: client\n    image: tiny\n    nics:\n"
      "      - network: lan\n"
      "        ip: \"10.10.0.{index}0\"\n"
      "        gateway: 10.10.0.1\n"  // the router's address: no clash
      "        dns: [10.10.0.1, 1.1.1.1, 9.9.9.9]\n"
      "  - {name: c, image: tiny, nics: [{network: lan, ip: 10.10.0.3, "
      "dns: 8.8.8.8}]}\n";
  LabParseResult result = ParseLab(yaml, "labs/l.yaml", images.path());
  ASSERT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  const auto& vms = result.lab->vms;
  EXPECT_EQ(vms[0].nics[0].gateway, "");
  EXPECT_TRUE(vms[0].nics[0].dns.empty());
  const core::Nic& client = vms[1].nics[0];
  EXPECT_EQ(client.ip_pattern, "10.10.0.{index}0");
  EXPECT_EQ(client.gateway, "10.10.0.1");
  EXPECT_EQ(client.dns,
            (std::vector<std::string>{"10.10.0.1", "1.1.1.1", "9.9.9.9"}));
  // A single resolver may be written without a list.
  EXPECT_EQ(vms[2].nics[0].gateway, "");
  EXPECT_EQ(vms[2].nics[0].dns, std::vector<std::string>{"8.8.8.8"});
}

TEST(LabParserTest, PatternVarsNameOwnerVmLabIndex) {
  core::Lab lab;
  lab.name = "netlab";
  std::map<std::string, std::string> vars =
      PatternVars(lab, core::World{"netlab", "carol", 3}, "router");
  std::map<std::string, std::string> expected = {
      {"owner", "carol"}, {"vm", "router"}, {"lab", "netlab"}, {"index", "3"}};
  EXPECT_EQ(vars, expected);
}

TEST(LabParserTest, CommandsExpandOurPlaceholdersOnly) {
  std::map<std::string, std::string> vars = {
      {"owner", "carol"}, {"vm", "router"}, {"lab", "netlab"}, {"index", "3"}};
  EXPECT_EQ(ExpandCommand("echo \"netlab: {vm} for {owner} ready\"", vars),
            "echo \"netlab: router for carol ready\"");
  EXPECT_EQ(ExpandCommand("echo {lab}-{index}", vars), "echo netlab-3");
  // Shell braces stay as written, even ${vm}, and so do unknown ones.
  EXPECT_EQ(ExpandCommand("for i in 1 2; do echo ${i} ${vm}; done", vars),
            "for i in 1 2; do echo ${i} ${vm}; done");
  EXPECT_EQ(ExpandCommand("f() { echo {user}; }; f {owner", vars),
            "f() { echo {user}; }; f {owner");
  EXPECT_EQ(ExpandCommands({"a {owner}", "b"}, vars),
            (std::vector<std::string>{"a carol", "b"}));
}

TEST(LabParserTest, SampleLabCommandsExpandPerWorld) {
  TempImageDir images;
  LabParseResult result =
      ParseLabFile(SourceDir() + "/labs/netlab.yaml", images.path());
  ASSERT_TRUE(result.lab);
  const core::LabVm& router = result.lab->vms[0];
  EXPECT_EQ(router.commands[0],
            "echo \"netlab: router for {owner} ready\" > /etc/motd");
  std::vector<std::string> commands = ExpandCommands(
      router.commands,
      PatternVars(*result.lab, core::World{"netlab", "alice", 1}, router.name));
  EXPECT_EQ(commands[0], "echo \"netlab: router for alice ready\" > /etc/motd");
}

TEST(Ipv4Test, ParsesStrictDottedQuads) {
  EXPECT_EQ(ParseIpv4("10.10.0.1"), 0x0a0a0001u);
  EXPECT_EQ(ParseIpv4("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(ParseIpv4("0.0.0.0"), 0u);
  for (const char* bad : {"", "10.10.0", "10.10.0.1.2", "10.10.0.256",
                          "10.10.0.300", "010.1.1.1", "10.10.0.-1", " 10.0.0.1",
                          "10.0.0.1 ", "a.b.c.d", "10..0.1", "1000.0.0.1"}) {
    EXPECT_FALSE(ParseIpv4(bad)) << bad;
  }
  EXPECT_EQ(FormatIpv4(0x0a0a00ffu), "10.10.0.255");
}

TEST(Ipv4Test, ParsesCidrsAndMasks) {
  EXPECT_EQ(ParseCidr("10.10.0.0/24"), std::make_pair(0x0a0a0000u, 24));
  EXPECT_EQ(ParseCidr("10.10.0.5/24"), std::make_pair(0x0a0a0005u, 24));
  for (const char* bad : {"10.10.0.0", "10.10.0.0/", "10.10.0.0/33",
                          "10.10.0.0/a", "10.10.0/24", "/24"}) {
    EXPECT_FALSE(ParseCidr(bad)) << bad;
  }
  EXPECT_EQ(PrefixMask(24), 0xffffff00u);
  EXPECT_EQ(PrefixMask(0), 0u);
  EXPECT_EQ(PrefixMask(32), 0xffffffffu);
}

TEST(HostnameTest, FollowsLabelRules) {
  EXPECT_TRUE(IsValidHostname("router-alice"));
  EXPECT_TRUE(IsValidHostname("Web1"));
  EXPECT_TRUE(IsValidHostname(std::string(63, 'a')));
  EXPECT_FALSE(IsValidHostname(std::string(64, 'a')));
  for (const char* bad : {"", "-a", "a-", "a_b", "a.b", "a b"}) {
    EXPECT_FALSE(IsValidHostname(bad)) << bad;
  }
}

TEST(CpuPercentTest, TwoDecimalsAtMost) {
  EXPECT_EQ(ParseCpuPercent("1.5"), 150);
  EXPECT_EQ(ParseCpuPercent("0.05"), 5);
  EXPECT_EQ(ParseCpuPercent("0"), 0);
  EXPECT_EQ(ParseCpuPercent("1024.00"), 102400);
  for (const char* bad : {"", ".", "1.", ".5", "0.125", "1e2", "+1", "-1", "1024.01", "99999",
                          " 1", "1 "}) {
    EXPECT_FALSE(ParseCpuPercent(bad)) << bad;
  }
}

TEST(MemoryTest, ParsesUnits) {
  EXPECT_EQ(ParseMemoryMib("512"), 512);
  EXPECT_EQ(ParseMemoryMib("512M"), 512);
  EXPECT_EQ(ParseMemoryMib("512MiB"), 512);
  EXPECT_EQ(ParseMemoryMib("1G"), 1024);
  EXPECT_EQ(ParseMemoryMib("4GiB"), 4096);
  for (const char* bad :
       {"", "G", "1.5G", "1 G", "1g", "1T", "-1", "99999999"}) {
    EXPECT_FALSE(ParseMemoryMib(bad)) << bad;
  }
}

}  // namespace
}  // namespace config

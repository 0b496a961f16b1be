// CheckWorlds: what only the roster reveals (a pattern that breaks for some
// owners, an index that clashes), named by owner.
#include <gtest/gtest.h>

#include "config/lab_parser.h"
#include "config/roster_parser.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

using testing::Lines;
using testing::SourceDir;
using testing::TempImageDir;
using V = std::vector<std::string>;

class CheckWorldsTest : public ::testing::Test {
 protected:
  // A lab read as labs/netlab.yaml whose vm 'router' ends with `vm_extra`.
  core::Lab Lab(const std::string& vm_extra, const std::string& more = "") {
    LabParseResult result = ParseLab(
        "lab: netlab\n"                               // 1
        "images: [{name: tiny, file: tiny.qcow2}]\n"  // 2
        "networks:\n"                                 // 3
        "  - name: lan\n"                             // 4
        "    cidr: 10.10.0.0/24\n"                    // 5
        "vms:\n"                                      // 6
        "  - name: router\n"                          // 7
        "    image: tiny\n" +                         // 8
            vm_extra +
            more,
        "labs/netlab.yaml", images_.path());
    EXPECT_TRUE(result.errors.empty())
        << ::testing::PrintToString(Lines(result.errors));
    return result.lab.value_or(core::Lab{});
  }
  static std::vector<core::World> Worlds(int count) {
    std::vector<core::World> worlds;
    for (int i = 1; i <= count; ++i) {
      worlds.push_back({"netlab", "s" + std::to_string(i), i});
    }
    return worlds;
  }
  TempImageDir images_;
};

TEST_F(CheckWorldsTest, SampleLabsFitTheSampleRosters) {
  for (const char* lab_file : {"netlab", "webstack"}) {
    LabParseResult lab = ParseLabFile(
        SourceDir() + "/labs/" + lab_file + ".yaml", images_.path());
    ASSERT_TRUE(lab.lab) << ::testing::PrintToString(Lines(lab.errors));
    for (const char* roster_file : {"sample", "class10", "groups"}) {
      RosterParseResult roster = ParseRosterFile(
          SourceDir() + "/labs/rosters/" + roster_file + ".csv");
      ASSERT_TRUE(roster.roster);
      for (WorldsPer per : {WorldsPer::kStudent, WorldsPer::kGroup}) {
        EXPECT_EQ(
            Lines(CheckWorlds(*lab.lab, WorldsFor(lab.lab->name, *roster.roster,
                                                  std::nullopt, per))),
            V{})
            << lab_file << " " << roster_file;
      }
    }
  }
}

TEST_F(CheckWorldsTest, PatternThatBreaksForOneOwnerNamesThatOwner) {
  core::Lab lab =
      Lab("    nics:\n"                        // 9
          "      - network: lan\n"             // 10
          "        ip: 10.10.0.{index}00\n");  // 11
  std::vector<core::World> worlds = {
      {"netlab", "alice", 1}, {"netlab", "bob", 2}, {"netlab", "carol", 3}};
  EXPECT_EQ(Lines(CheckWorlds(lab, worlds)),
            V{"labs/netlab.yaml:11:13: ip '10.10.0.300' for owner 'carol' is "
              "not a valid IPv4 address"});
}

TEST_F(CheckWorldsTest, NetworkBroadcastAndInvalidAddresses) {
  core::Lab lab = Lab("    nics: [{network: lan, ip: \"10.10.0.{index}\"}]\n");
  std::vector<core::World> worlds = {{"netlab", "ann", 0},
                                     {"netlab", "bea", 254},
                                     {"netlab", "cid", 255},
                                     {"netlab", "dan", 256}};
  EXPECT_EQ(Lines(CheckWorlds(lab, worlds)),
            (V{"labs/netlab.yaml:9:31: ip '10.10.0.0' for owner 'ann' is the "
               "network address of 'lan' (10.10.0.0/24)",
               "labs/netlab.yaml:9:31: ip '10.10.0.255' for owner 'cid' is the "
               "broadcast address of 'lan' (10.10.0.0/24)",
               "labs/netlab.yaml:9:31: ip '10.10.0.256' for owner 'dan' is not "
               "a valid IPv4 address"}));
}

TEST_F(CheckWorldsTest, OutsideCidr) {
  core::Lab lab = Lab("    nics: [{network: lan, ip: \"10.10.0.{index}\"}]\n");
  // A pattern ParseLab would refuse, as a caller might build it.
  lab.vms[0].nics[0].ip_pattern = "10.10.{index}.1";
  EXPECT_EQ(
      Lines(CheckWorlds(lab, {{"netlab", "ann", 0}, {"netlab", "bea", 2}})),
      V{"labs/netlab.yaml:9:31: ip '10.10.2.1' for owner 'bea' is "
        "outside network 'lan' (10.10.0.0/24)"});
}

TEST_F(CheckWorldsTest, ClashInsideOneWorldOnly) {
  core::Lab lab = Lab("    nics: [{network: lan, ip: 10.10.0.5}]\n",
                      "  - name: client\n    image: tiny\n"
                      "    nics: [{network: lan, ip: \"10.10.0.{index}\"}]\n");
  // Index 5 clashes with the router; other Worlds are separate networks.
  EXPECT_EQ(
      Lines(CheckWorlds(lab, Worlds(6))),
      V{"labs/netlab.yaml:12:31: ip '10.10.0.5' for owner 's5' is already "
        "used by vm 'router' on network 'lan' (line 9)"});
}

TEST_F(CheckWorldsTest, GatewayMayBeAnotherVmsAddress) {
  core::Lab lab = Lab("    nics: [{network: lan, ip: 10.10.0.1}]\n",
                      "  - name: client\n    image: tiny\n"
                      "    nics: [{network: lan, ip: \"10.10.0.1{index}\", "
                      "gateway: 10.10.0.1}]\n");
  EXPECT_EQ(Lines(CheckWorlds(lab, Worlds(6))), V{});
}

TEST_F(CheckWorldsTest, IpThatIsItsOwnGatewayForOneOwner) {
  core::Lab lab =
      Lab("    nics: [{network: lan, ip: \"10.10.0.{index}\", gateway: "
          "10.10.0.5}]\n");
  EXPECT_EQ(Lines(CheckWorlds(lab, Worlds(6))),
            V{"labs/netlab.yaml:9:31: ip '10.10.0.5' for owner 's5' is also "
              "the gateway of the same nic: the gateway must be another host "
              "on 'lan', such as a router"});
}

// CheckWorlds knows only LabVm::pos, so hostname errors point at the VM.
TEST_F(CheckWorldsTest, HostnameInvalidForSomeOwners) {
  core::Lab lab = Lab("    hostname: \"{vm}-{owner}\"\n");
  std::vector<core::World> worlds = {{"netlab", "alice_2", 1},
                                     {"netlab", std::string(60, 'b'), 2},
                                     {"netlab", "carol", 3}};
  EXPECT_EQ(
      Lines(CheckWorlds(lab, worlds)),
      (V{"labs/netlab.yaml:7:5: hostname 'router-alice_2' of vm 'router' "
         "for owner 'alice_2' is not a valid hostname: use letters, "
         "digits and '-', at most 63 characters, not starting or ending "
         "with '-'",
         "labs/netlab.yaml:7:5: hostname 'router-" + std::string(60, 'b') +
             "' of vm 'router' for owner '" + std::string(60, 'b') +
             "' is not a valid hostname: use letters, digits and '-', at "
             "most 63 characters, not starting or ending with '-'"}));
}

TEST_F(CheckWorldsTest, HostnamePatternSetByCaller) {
  core::Lab lab = Lab("");
  lab.vms[0].hostname_pattern = "{owner}";  // as a caller might build it
  EXPECT_EQ(Lines(CheckWorlds(lab, {{"netlab", "a_b", 1}})),
            V{"labs/netlab.yaml:7:5: hostname 'a_b' of vm 'router' for owner "
              "'a_b' is not a valid hostname: use letters, digits and '-', at "
              "most 63 characters, not starting or ending with '-'"});
}

TEST_F(CheckWorldsTest, PlaceholderErrorIsReportedOnce) {
  core::Lab lab = Lab("");
  lab.vms[0].hostname_pattern = "{who}";
  EXPECT_EQ(Lines(CheckWorlds(lab, Worlds(3))),
            V{"labs/netlab.yaml:7:5: unknown placeholder '{who}' in hostname "
              "'{who}' (allowed: {owner}, {vm}, {lab}, {index})"});
}

}  // namespace
}  // namespace config

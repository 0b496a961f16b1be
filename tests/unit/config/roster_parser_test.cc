// Rosters: the sample files, every error with its line and column, and the
// Worlds a deploy wants.
#include "config/roster_parser.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/error_text.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

using testing::Lines;
using testing::SourceDir;
using V = std::vector<std::string>;

V Errors(const std::string& csv) {
  RosterParseResult result = ParseRoster(csv, "roster.csv");
  EXPECT_EQ(result.roster.has_value(), result.errors.empty());
  return Lines(result.errors);
}

core::Roster Parse(const std::string& csv) {
  RosterParseResult result = ParseRoster(csv, "roster.csv");
  EXPECT_TRUE(result.errors.empty())
      << ::testing::PrintToString(Lines(result.errors));
  return result.roster.value_or(core::Roster{});
}

TEST(RosterParserTest, SampleRosterParsesWithQuotedComma) {
  RosterParseResult result =
      ParseRosterFile(SourceDir() + "/labs/rosters/sample.csv");
  ASSERT_TRUE(result.roster) << ::testing::PrintToString(Lines(result.errors));
  const auto& s = result.roster->students;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].username, "alice");
  EXPECT_EQ(s[0].full_name, "Alice Martin");
  EXPECT_EQ(s[0].group, "lab-a");
  EXPECT_EQ(s[0].line, 2);
  EXPECT_EQ(s[1].username, "bob");
  EXPECT_EQ(s[1].group, "lab-b");
  EXPECT_EQ(s[2].username, "carol");
  EXPECT_EQ(s[2].full_name, "Smith, Carol");
  EXPECT_EQ(s[2].line, 4);
  EXPECT_EQ(result.roster->source_file,
            SourceDir() + "/labs/rosters/sample.csv");
}

TEST(RosterParserTest, OtherSampleRostersParse) {
  RosterParseResult class10 =
      ParseRosterFile(SourceDir() + "/labs/rosters/class10.csv");
  ASSERT_TRUE(class10.roster)
      << ::testing::PrintToString(Lines(class10.errors));
  EXPECT_EQ(class10.roster->students.size(), 10u);
  RosterParseResult groups =
      ParseRosterFile(SourceDir() + "/labs/rosters/groups.csv");
  ASSERT_TRUE(groups.roster) << ::testing::PrintToString(Lines(groups.errors));
  EXPECT_EQ(groups.roster->students.size(), 6u);
  EXPECT_EQ(WorldsFor("netlab", *groups.roster, std::nullopt, WorldsPer::kGroup)
                .size(),
            3u);
}

TEST(RosterParserTest, QuotesCrlfBomAndBlankLines) {
  core::Roster roster = Parse(
      "\xEF\xBB\xBFusername,full_name,group\r\n"
      "alice,\"Martin, Alice \"\"Al\"\"\",a\r\n"
      "bob,,b\r\n"
      "\r\n"
      "dave,Dave,a");
  ASSERT_EQ(roster.students.size(), 3u);
  EXPECT_EQ(roster.students[0].full_name, "Martin, Alice \"Al\"");
  EXPECT_EQ(roster.students[1].full_name, "");
  EXPECT_EQ(roster.students[1].line, 3);
  EXPECT_EQ(roster.students[2].username, "dave");
  EXPECT_EQ(roster.students[2].line, 5);  // the blank line counts
}

TEST(RosterParserTest, QuotedNewlineParsesButIsRefusedInAName) {
  // The newline inside quotes is data (and refused: a full name becomes a
  // GECOS field), and the rows after it keep their true line numbers.
  EXPECT_EQ(
      Errors("username,full_name,group\n"
             "alice,Alice,a\n"
             "carol,\"Two\nLines\",a\n"
             "Dave,Dave,a\n"),
      (V{"roster.csv:3:2: full name of 'carol' must not contain ':' or "
         "control characters",
         "roster.csv:5:1: username 'Dave' is invalid: must be a lowercase "
         "letter followed by up to 31 lowercase letters, digits, '_' or "
         "'-'"}));
}

TEST(RosterParserTest, WrongHeaderIsReportedAtLineOne) {
  EXPECT_EQ(
      Errors("user,name,group\nalice,Alice,a\n"),
      V{"roster.csv:1:1: roster header must be 'username,full_name,group', "
        "not 'user,name,group'"});
}

TEST(RosterParserTest, EmptyRosters) {
  EXPECT_EQ(Errors(""),
            V{"roster.csv:1:1: roster is empty: expected the header "
              "'username,full_name,group' and one row per student"});
  EXPECT_EQ(Errors("username,full_name,group\n"),
            V{"roster.csv:1:1: roster lists no students: add one row per "
              "student after the header"});
}

TEST(RosterParserTest, RowErrorsNameLineAndColumn) {
  const std::string rule =
      "a lowercase letter followed by up to 31 lowercase letters, digits, '_' "
      "or '-'";
  EXPECT_EQ(Errors("username,full_name,group\n"  // 1
                   "alice,Alice,a\n"             // 2
                   "Bob,Bob,a\n"                 // 3
                   "carol,Carol\n"               // 4
                   "dave,Dave,\n"                // 5
                   "erin,Erin,Lab A\n"           // 6
                   "alice,Alice Again,a\n"       // 7
                   ",Nobody,a\n"                 // 8
                   "frank,Frank,a,extra\n"       // 9
                   "gina,\"Gi:na\",a\n"),        // 10
            (V{"roster.csv:3:1: username 'Bob' is invalid: must be " + rule,
               "roster.csv:4:1: expected 3 fields (username,full_name,group), "
               "found 2",
               "roster.csv:5:3: group of 'dave' is empty: every student needs "
               "a group, " +
                   rule,
               "roster.csv:6:3: group 'Lab A' is invalid: must be " + rule,
               "roster.csv:7:1: duplicate username 'alice' (first at line 2)",
               "roster.csv:8:1: username is empty: it must be " + rule,
               "roster.csv:9:1: expected 3 fields (username,full_name,group), "
               "found 4",
               "roster.csv:10:2: full name of 'gina' must not contain ':' or "
               "control characters"}));
}

TEST(RosterParserTest, MalformedCsvIsReported) {
  EXPECT_EQ(Errors("username,full_name,group\nalice,\"Alice,a\n"),
            V{"roster.csv:2:1: malformed CSV: unterminated quoted field at end "
              "of file"});
  EXPECT_EQ(Errors("username,full_name,group\nalice,\"Al\"ice,a\n"),
            V{"roster.csv:2:1: malformed CSV: error parsing data while strict "
              "checking enabled"});
}

TEST(RosterParserTest, UnreadableFile) {
  RosterParseResult result = ParseRosterFile("/nonexistent/roster.csv");
  EXPECT_EQ(Lines(result.errors),
            V{"/nonexistent/roster.csv: cannot read roster file: No such file "
              "or directory"});
}

class WorldsForTest : public ::testing::Test {
 protected:
  WorldsForTest() {
    roster_ = Parse(
        "username,full_name,group\n"
        "alice,Alice,lab-a\n"
        "bob,Bob,lab-b\n"
        "carol,Carol,lab-a\n"
        "dave,Dave,lab-c\n");
    roster_.source_file = "labs/rosters/sample.csv";
  }
  static std::vector<std::string> Owners(
      const std::vector<core::World>& worlds) {
    std::vector<std::string> out;
    for (const core::World& w : worlds) {
      EXPECT_EQ(w.lab, "netlab");
      out.push_back(w.owner + "#" + std::to_string(w.index));
    }
    return out;
  }
  core::Roster roster_;
};

TEST_F(WorldsForTest, PerStudentIndexIsPositionInWholeRoster) {
  EXPECT_EQ(
      Owners(WorldsFor("netlab", roster_, std::nullopt, WorldsPer::kStudent)),
      (V{"alice#1", "bob#2", "carol#3", "dave#4"}));
  // One group keeps each student's index, hence the same addresses.
  EXPECT_EQ(Owners(WorldsFor("netlab", roster_, "lab-a", WorldsPer::kStudent)),
            (V{"alice#1", "carol#3"}));
}

TEST_F(WorldsForTest, PerGroupIndexIsFirstAppearance) {
  EXPECT_EQ(
      Owners(WorldsFor("netlab", roster_, std::nullopt, WorldsPer::kGroup)),
      (V{"lab-a#1", "lab-b#2", "lab-c#3"}));
  EXPECT_EQ(Owners(WorldsFor("netlab", roster_, "lab-c", WorldsPer::kGroup)),
            (V{"lab-c#3"}));
}

TEST_F(WorldsForTest, UnknownGroupThrowsWithKnownGroups) {
  {
    const core::Error e =
        support::ThrownError([&] { WorldsFor("netlab", roster_, "lab-d", WorldsPer::kStudent); });
    EXPECT_EQ(e.message(), "no group 'lab-d' in sample.csv");
    EXPECT_EQ(e.where(), "labs/rosters/sample.csv");
    EXPECT_EQ(e.fix(),
              "did you mean 'lab-a'? known groups: lab-a, lab-b, lab-c");
  }
  {
    const core::Error e =
        support::ThrownError([&] { WorldsFor("netlab", roster_, "teachers", WorldsPer::kGroup); });
    EXPECT_EQ(e.Describe(),
              "labs/rosters/sample.csv: no group 'teachers' in sample.csv "
              "(known groups: lab-a, lab-b, lab-c)");
  }
}

}  // namespace
}  // namespace config

// The test helpers' rosters and labs (tests/support/roster.h) read back by
// the real parsers: a test that writes a roster through them gets the
// students it meant, quotes and commas included.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "config/roster_parser.h"
#include "core/error.h"
#include "support/error_text.h"
#include "support/roster.h"
#include "support/temp_dir.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

TEST(RosterCsvTest, ParsesBackToTheStudentsWritten) {
  support::TempDir dir("worlds-config-test-");
  std::string path = support::WriteRoster(
      dir.File("r.csv"), {support::kAlice, {"carol", "Smith, Carol \"C\"", "lab-a"}});
  RosterParseResult result = ParseRosterFile(path);
  ASSERT_TRUE(result.roster) << ::testing::PrintToString(testing::Lines(result.errors));
  ASSERT_EQ(result.roster->students.size(), 2u);
  EXPECT_EQ(result.roster->students[0].username, "alice");
  EXPECT_EQ(result.roster->students[0].full_name, "Alice Martin");
  EXPECT_EQ(result.roster->students[0].group, "lab-a");
  EXPECT_EQ(result.roster->students[1].full_name, "Smith, Carol \"C\"");
}

TEST(RosterCsvTest, RenameLabChangesOnlyTheTopLevelName) {
  EXPECT_EQ(support::RenameLab("# netlab\nlab: netlab\nvms:\n  - name: lab\n", "itx"),
            "# netlab\nlab: itx\nvms:\n  - name: lab\n");
  EXPECT_EQ(support::ErrorText([] { support::RenameLab("vms: []\n", "itx"); }),
            "RenameLab(itx): the lab text has no top-level 'lab:' line");
}

TEST(RosterCsvTest, TempDirHasTheModeAskedForAndGoesAway) {
  std::string path;
  {
    support::TempDir dir("worlds-config-test-", 0755);
    path = dir.path();
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    support::WriteFile(dir.File("f"), "x");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(support::ErrorText([] { support::TempDir("x-", 0700, "/nonexistent"); }),
            "/nonexistent/x-XXXXXX: cannot create a temporary directory: No such file or "
            "directory");
}

}  // namespace
}  // namespace config

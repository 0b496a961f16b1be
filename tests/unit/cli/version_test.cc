#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>

#include "cli/app.h"
#include "cli/exit_status.h"

namespace cli {
namespace {

TEST(VersionTest, VersionPrintsTheProjectVersionAndExitsZero) {
  EXPECT_STREQ(Version(), WORLDS_PROJECT_VERSION);
  char arg0[] = "worlds";
  char arg1[] = "--version";
  char* argv[] = {arg0, arg1, nullptr};
  std::ostringstream out;
  std::streambuf* old = std::cout.rdbuf(out.rdbuf());
  int code = Main(2, argv);
  std::cout.rdbuf(old);
  EXPECT_EQ(code, kExitOk);
  EXPECT_EQ(out.str(), std::string("worlds ") + WORLDS_PROJECT_VERSION + "\n");
}

}  // namespace
}  // namespace cli

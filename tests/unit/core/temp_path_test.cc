#include "core/temp_path.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace core {
namespace {

TEST(TempPathTest, FileAndDirectoryGoAwayWithTheirOwner) {
  std::string file, dir;
  {
    TempPath f = TempPath::File("worlds-test-");
    TempPath d = TempPath::Dir("worlds-test-");
    file = f.path();
    dir = d.path();
    EXPECT_TRUE(std::filesystem::is_regular_file(file));
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    std::ofstream(dir + "/inside") << "x";
    TempPath moved = std::move(d);
    EXPECT_EQ(moved.path(), dir);
  }
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace core

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/lab_parser.h"

namespace config {
namespace {

TEST(ReadLabNameTest, ReadsTheNameEvenWhenTheLabIsInvalid) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("worlds-lab-name-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "lab: netlab\nimages:\n  - name: gone\n    file: /nope.qcow2\n";
  EXPECT_EQ(ReadLabName(path), "netlab");
  EXPECT_FALSE(ParseLabFile(path, "/nonexistent").lab);
  std::ofstream(path) << "lab: \"Bad Name\"\n";
  EXPECT_EQ(ReadLabName(path), std::nullopt);
  std::ofstream(path) << "[1, 2\n";
  EXPECT_EQ(ReadLabName(path), std::nullopt);
  std::filesystem::remove(path);
  EXPECT_EQ(ReadLabName(path), std::nullopt);
}

}  // namespace
}  // namespace config

#include "cli/table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"

namespace cli {
namespace {

std::string Print(const Table& table) {
  std::ostringstream out;
  table.Print(out);
  return out.str();
}

TEST(TableTest, ColumnsAreAsWideAsTheirWidestCell) {
  Table table({"AT", "RESULT", "DETAIL"});
  table.AddRow({"2024-05-01", "started", "every World"});
  table.AddRow({"x", "ok", ""});
  EXPECT_EQ(Print(table),
            "AT         RESULT  DETAIL\n"
            "2024-05-01 started every World\n"
            "x          ok\n");
}

TEST(TableTest, WidthsCountCharactersNotBytes) {
  Table table({"NAME", "N"});
  table.AddRow({"Zoë", "1"});
  table.AddRow({"Jo", "2"});
  EXPECT_EQ(Print(table),
            "NAME N\n"
            "Zoë  1\n"
            "Jo   2\n");
}

TEST(TableTest, ShortRowsArePaddedAndLongRowsRefused) {
  Table table({"A", "B"});
  EXPECT_TRUE(table.empty());
  table.AddRow({"only"});
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(Print(table), "A    B\nonly\n");
  EXPECT_THROW(table.AddRow({"1", "2", "3"}), core::Error);
}

}  // namespace
}  // namespace cli

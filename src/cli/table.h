// A plain-text table for command output: columns as wide as their widest
// cell (header included), one space apart (like ps), the last column not
// padded. `worlds events` uses it; any listing can.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Adds a row. A row with fewer cells than headers is padded with empty
  // cells; throws core::Error (an internal error) when it has more.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }

  // Writes the header line and every row, each ending in '\n'. Widths count
  // UTF-8 characters, not bytes; a cell never runs into the next column.
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace cli

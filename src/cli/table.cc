#include "cli/table.h"

#include <algorithm>

#include "core/error.h"

namespace cli {
namespace {

// Characters on screen for UTF-8 text: every byte but continuation bytes.
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  if (cells.size() > headers_.size()) {
    throw core::Error("internal error: a table row has " + std::to_string(cells.size()) +
                      " cells for " + std::to_string(headers_.size()) + " columns");
  }
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = Width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line.append(widths[i] - Width(cells[i]) + 1, ' ');
    }
    // An empty last cell would leave the padding of the one before it.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  };
  print(headers_);
  for (const auto& row : rows_) print(row);
}

}  // namespace cli

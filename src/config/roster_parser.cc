#include "config/roster_parser.h"

#include <csv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "core/names.h"

namespace config {

namespace {

constexpr const char* kHeader = "username,full_name,group";

struct Row {
  int line = 0;
  std::vector<std::string> fields;
};

// Rows with the line each one starts on: libcsv knows no lines, so bytes
// are fed one at a time and the callbacks note where a row began.
class RowReader {
 public:
  struct Deleter {
    void operator()(csv_parser* p) const {
      csv_free(p);
      delete p;
    }
  };

  // Returns false with `*error` set when the CSV is malformed.
  bool Read(const std::string& text, std::vector<Row>* rows, int* error_line,
            std::string* error) {
    std::unique_ptr<csv_parser, Deleter> parser(new csv_parser);
    if (csv_init(parser.get(), CSV_STRICT | CSV_STRICT_FINI) != 0) {
      delete parser.release();
      *error = "cannot initialise the CSV parser";
      *error_line = 1;
      return false;
    }
    rows_ = rows;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (!in_row_ && c != '\r' && c != '\n') {
        in_row_ = true;
        current_.line = line_;
      }
      if (csv_parse(parser.get(), &c, 1, OnField, OnRow, this) != 1) {
        *error_line = line_;
        *error = csv_strerror(csv_error(parser.get()));
        return false;
      }
      // libcsv ends a row at "\n", "\r\n" or a lone "\r" (old Mac files):
      // count lines the same way, or such rows would share one line number.
      if (c == '\n' || (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
        ++line_;
      }
    }
    if (csv_fini(parser.get(), OnField, OnRow, this) != 0) {
      *error_line = current_.line ? current_.line : line_;
      *error = "unterminated quoted field at end of file";
      return false;
    }
    return true;
  }

 private:
  static void OnField(void* data, size_t size, void* self) {
    auto* reader = static_cast<RowReader*>(self);
    reader->current_.fields.emplace_back(static_cast<const char*>(data), size);
  }
  static void OnRow(int, void* self) {
    auto* reader = static_cast<RowReader*>(self);
    reader->rows_->push_back(std::move(reader->current_));
    reader->current_ = Row{};
    reader->in_row_ = false;
  }

  std::vector<Row>* rows_ = nullptr;
  Row current_;
  bool in_row_ = false;
  int line_ = 1;
};

std::string JoinFields(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out;
}

// A full name becomes the account's GECOS field: ':' would split the
// passwd line and control characters have no place there.
bool IsSafeFullName(const std::string& name) {
  return std::none_of(name.begin(), name.end(), [](unsigned char c) {
    return c == ':' || c < 0x20 || c == 0x7f;
  });
}

}  // namespace

RosterParseResult ParseRoster(const std::string& input,
                              const std::string& file_name) {
  RosterParseResult result;
  auto error = [&](int line, int col, std::string message) {
    result.errors.push_back({{file_name, line, col}, std::move(message)});
  };
  std::string text = input;
  // Spreadsheets often save UTF-8 CSV with a byte order mark.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);

  std::vector<Row> rows;
  int bad_line = 0;
  std::string problem;
  if (!RowReader().Read(text, &rows, &bad_line, &problem)) {
    error(bad_line, 1, "malformed CSV: " + problem);
    return result;
  }
  if (rows.empty()) {
    error(1, 1,
          std::string("roster is empty: expected the header '") + kHeader +
              "' and one row per student");
    return result;
  }
  if (JoinFields(rows[0].fields) != kHeader) {
    error(rows[0].line, 1,
          std::string("roster header must be '") + kHeader + "', not '" +
              JoinFields(rows[0].fields) + "'");
  }
  if (rows.size() == 1) {
    error(rows[0].line, 1,
          "roster lists no students: add one row per student "
          "after the header");
  }

  core::Roster roster;
  roster.source_file = file_name;
  std::map<std::string, int> first_line;
  for (size_t i = 1; i < rows.size(); ++i) {
    const Row& row = rows[i];
    if (row.fields.size() != 3) {
      error(row.line, 1,
            "expected 3 fields (" + std::string(kHeader) + "), found " +
                std::to_string(row.fields.size()));
      continue;
    }
    core::Student student{row.fields[0], row.fields[1], row.fields[2],
                          row.line};
    if (student.username.empty()) {
      error(
          row.line, 1,
          std::string("username is empty: it must be ") + core::kUserNameRule);
    } else if (!core::IsValidUserName(student.username)) {
      error(row.line, 1,
            "username '" + student.username + "' is invalid: must be " +
                core::kUserNameRule);
    } else {
      auto [it, inserted] = first_line.emplace(student.username, row.line);
      if (!inserted) {
        error(row.line, 1,
              "duplicate username '" + student.username + "' (first at line " +
                  std::to_string(it->second) + ")");
      }
    }
    if (!IsSafeFullName(student.full_name)) {
      error(row.line, 2,
            "full name of '" + student.username +
                "' must not contain ':' or control characters");
    }
    if (student.group.empty()) {
      error(row.line, 3,
            "group of '" + student.username +
                "' is empty: every student needs a group, " +
                core::kUserNameRule);
    } else if (!core::IsValidUserName(student.group)) {
      error(row.line, 3,
            "group '" + student.group + "' is invalid: must be " +
                core::kUserNameRule);
    }
    roster.students.push_back(std::move(student));
  }
  if (result.errors.empty()) result.roster = std::move(roster);
  return result;
}

RosterParseResult ParseRosterFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    RosterParseResult result;
    result.errors.push_back(
        {{path, 0, 0},
         "cannot read roster file: " + std::string(std::strerror(errno))});
    return result;
  }
  return ParseRoster(text.str(), path);
}

std::vector<core::World> WorldsFor(const std::string& lab,
                                   const core::Roster& roster,
                                   const std::optional<std::string>& group,
                                   WorldsPer per) {
  std::vector<std::string> groups;  // distinct, in order of first appearance
  for (const core::Student& s : roster.students) {
    if (std::find(groups.begin(), groups.end(), s.group) == groups.end()) {
      groups.push_back(s.group);
    }
  }
  if (group &&
      std::find(groups.begin(), groups.end(), *group) == groups.end()) {
    std::string known;
    for (const std::string& g : groups)
      known += (known.empty() ? "" : ", ") + g;
    std::string close = core::Spellcheck(*group, groups);
    std::string base =
        roster.source_file.substr(roster.source_file.rfind('/') + 1);
    throw core::InputError("no group '" + *group + "' in " + base,
                      roster.source_file,
                      (close.empty() ? "" : "did you mean '" + close + "'? ") +
                          "known groups: " + known);
  }
  std::vector<core::World> worlds;
  if (per == WorldsPer::kGroup) {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (group && groups[i] != *group) continue;
      worlds.push_back({lab, groups[i], static_cast<int>(i + 1)});
    }
    return worlds;
  }
  // The index counts all students, so a student's addresses do not depend
  // on whether the class or one group is deployed.
  for (size_t i = 0; i < roster.students.size(); ++i) {
    const core::Student& s = roster.students[i];
    if (group && s.group != *group) continue;
    worlds.push_back({lab, s.username, static_cast<int>(i + 1)});
  }
  return worlds;
}

}  // namespace config

#include "support/roster.h"

#include <fstream>
#include <regex>

#include "core/error.h"

namespace support {

namespace {

std::string Field(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::string RosterCsv(const std::vector<Student>& students) {
  std::string csv = "username,full_name,group\n";
  for (const Student& s : students) {
    csv += Field(s.username) + "," + Field(s.full_name) + "," + Field(s.group) + "\n";
  }
  return csv;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw core::Error("cannot write the test file", path);
}

std::string WriteRoster(const std::string& path, const std::vector<Student>& students) {
  WriteFile(path, RosterCsv(students));
  return path;
}

std::string RenameLab(const std::string& lab_text, const std::string& name) {
  static const std::regex kLabLine("(^|\\n)lab: *[^\\n]*");
  if (!std::regex_search(lab_text, kLabLine)) {
    throw core::Error("the lab text has no top-level 'lab:' line", "RenameLab(" + name + ")");
  }
  return std::regex_replace(lab_text, kLabLine, "$1lab: " + name,
                            std::regex_constants::format_first_only);
}

}  // namespace support

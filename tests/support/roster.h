// Rosters and labs as tests write them: the CSV text of a few students, a
// file written whole, and a sample lab under a name of its own (so a test
// never touches a real deployment of it).
#pragma once

#include <string>
#include <vector>

namespace support {

struct Student {
  std::string username;
  std::string full_name;
  std::string group;
};

// The sample roster's students (labs/rosters/sample.csv), for rosters of
// a few Worlds that keep a test's boots short.
inline const Student kAlice{"alice", "Alice Martin", "lab-a"};
inline const Student kBob{"bob", "Bob Chen", "lab-b"};

// "username,full_name,group\n" and one line per student; a field holding a
// comma or a quote is quoted the CSV way.
std::string RosterCsv(const std::vector<Student>& students);

// Writes `text` to `path`, replacing it. Throws core::Error naming the path
// when it cannot be written.
void WriteFile(const std::string& path, const std::string& text);

// WriteFile(path, RosterCsv(students)); returns `path`.
std::string WriteRoster(const std::string& path, const std::vector<Student>& students);

// `lab_text` (a lab's YAML) with its top-level "lab: <name>" line renamed
// to `name`. Throws core::Error when the text has no such line.
std::string RenameLab(const std::string& lab_text, const std::string& name);

}  // namespace support

// Fuzz target: roster CSV text through config::ParseRoster (libcsv +
// validation), then, for a roster it accepts, config::WorldsFor in both
// modes, for a known group and for an unknown one (which must throw
// core::Error). A thrown core::Error is a normal outcome; any other
// exception, a crash, a sanitizer report, a leak or a hang is a bug.
// Invariants checked (abort when broken):
//   - a roster comes back exactly when there are no diagnostics;
//   - every diagnostic names the file, a line >= 1 and a column 1..3;
//   - an accepted roster has students with valid, distinct user names and
//     valid groups, on strictly increasing lines >= 2;
//   - WorldsFor gives one World per student (or per distinct group), with
//     1-based indexes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/roster_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "fuzz_check.h"

namespace {

constexpr const char* kFileName = "fuzz-rosters/roster.csv";

void CheckDiagnostics(const config::Diagnostics& errors) {
  for (const config::Diagnostic& d : errors) {
    FUZZ_CHECK(d.pos.file == kFileName);
    FUZZ_CHECK(d.pos.line >= 1);
    FUZZ_CHECK(d.pos.col >= 1 && d.pos.col <= 3);
    FUZZ_CHECK(!d.message.empty());
  }
}

void CheckAcceptedRoster(const core::Roster& roster) {
  FUZZ_CHECK(!roster.students.empty());
  FUZZ_CHECK(roster.source_file == kFileName);
  std::set<std::string> names, groups;
  int last_line = 1;
  for (const core::Student& s : roster.students) {
    FUZZ_CHECK(core::IsValidUserName(s.username));
    FUZZ_CHECK(core::IsValidUserName(s.group));
    FUZZ_CHECK(names.insert(s.username).second);
    FUZZ_CHECK(s.line > last_line);
    last_line = s.line;
    for (unsigned char c : s.full_name) FUZZ_CHECK(c != ':' && c >= 0x20 && c != 0x7f);
    groups.insert(s.group);
  }

  auto per_student = config::WorldsFor("lab", roster, std::nullopt,
                                       config::WorldsPer::kStudent);
  FUZZ_CHECK(per_student.size() == roster.students.size());
  for (size_t i = 0; i < per_student.size(); ++i) {
    FUZZ_CHECK(per_student[i].owner == roster.students[i].username);
    FUZZ_CHECK(per_student[i].index == static_cast<int>(i + 1));
  }
  auto per_group = config::WorldsFor("lab", roster, std::nullopt,
                                     config::WorldsPer::kGroup);
  FUZZ_CHECK(per_group.size() == groups.size());

  const std::string first_group = roster.students.front().group;
  auto one_group = config::WorldsFor("lab", roster, first_group,
                                     config::WorldsPer::kGroup);
  FUZZ_CHECK(one_group.size() == 1 && one_group[0].owner == first_group &&
             one_group[0].index == 1);
  auto in_group = config::WorldsFor("lab", roster, first_group,
                                    config::WorldsPer::kStudent);
  FUZZ_CHECK(!in_group.empty() && in_group[0].index == 1);

  bool refused = false;
  try {
    // Not a valid user name, so no roster can have it as a group.
    (void)config::WorldsFor("lab", roster, std::string("No Such Group"),
                            config::WorldsPer::kStudent);
  } catch (const core::Error& e) {
    refused = e.message() == "no group 'No Such Group' in roster.csv";
  }
  FUZZ_CHECK(refused);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    config::RosterParseResult result = config::ParseRoster(text, kFileName);
    FUZZ_CHECK(result.roster.has_value() == result.errors.empty());
    CheckDiagnostics(result.errors);
    if (result.roster) CheckAcceptedRoster(*result.roster);
  } catch (const core::Error&) {
    // The documented way to refuse; anything else escapes and aborts.
  }
  return 0;
}

// Rosters: CSV with header `username,full_name,group`, parsed with libcsv
// (quotes, embedded commas, CRLF, a UTF-8 BOM), validated with line
// numbers. A full name may contain commas but not ':' or control
// characters (it becomes the account's GECOS field).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "core/lab.h"

namespace config {

struct RosterParseResult {
  std::optional<core::Roster> roster;  // set only when `errors` is empty
  Diagnostics errors;
};

// Parses `text` as a roster read from `file_name`. Every problem is a
// Diagnostic "file:LINE:COL: message" (COL is the 1-based field number, 1
// for a whole row): wrong header (line 1), wrong field count, invalid or
// duplicate username, empty or invalid group, no students. All are reported
// in one pass, except malformed CSV (e.g. an unclosed quote), which stops
// the parse. Never throws for bad input.
RosterParseResult ParseRoster(const std::string& text,
                              const std::string& file_name);
// Reads `path` and calls ParseRoster; an unreadable file is one Diagnostic.
RosterParseResult ParseRosterFile(const std::string& path);

enum class WorldsPer { kStudent, kGroup };

// The Worlds a deploy of `lab` to `roster` wants: one per student (index =
// 1-based position in the roster) or one per group (index = 1-based position
// of the group's first appearance). `group`, when set, keeps only that group;
// an unknown group throws core::Error ("no group 'x' in roster.csv", where =
// the roster's path, fix = a did-you-mean and the known groups).
// World::lab is `lab`, the lab's name.
std::vector<core::World> WorldsFor(const std::string& lab,
                                   const core::Roster& roster,
                                   const std::optional<std::string>& group,
                                   WorldsPer per);

}  // namespace config

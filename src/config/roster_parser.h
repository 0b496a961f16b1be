// Rosters: CSV with header `username,full_name,group`, parsed with libcsv
// (quotes, embedded commas and newlines), validated with line numbers.
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

RosterParseResult ParseRoster(const std::string& text,
                              const std::string& file_name);
RosterParseResult ParseRosterFile(const std::string& path);

enum class WorldsPer { kStudent, kGroup };

// The Worlds a deploy of `lab` to `roster` wants: one per student (index =
// 1-based position in the roster) or one per group (index = 1-based position
// of the group's first appearance). `group`, when set, keeps only that group;
// an unknown group throws core::Error naming the known ones.
std::vector<core::World> WorldsFor(const std::string& lab,
                                   const core::Roster& roster,
                                   const std::optional<std::string>& group,
                                   WorldsPer per);

}  // namespace config

// Wall-clock arithmetic in a named time zone (IANA, from the system's
// /usr/share/zoneinfo through Howard Hinnant's date library, which never
// downloads anything here: it is built with USE_OS_TZDB). The date headers
// stay in the .cc files.
//
// Choices for local times that a DST change makes odd, used everywhere in
// schedule/:
// - nonexistent (02:30 on the night clocks go forward from 02:00 to 03:00):
//   the instant the gap ends, i.e. the first time that exists after it
//   (03:00 new time). A window 02:30-04:00 opens at 03:00 that night.
// - ambiguous (01:30 on the night clocks go back from 02:00 to 01:00): the
//   earlier of the two instants (date's choose::earliest), so a window
//   ending at 01:30 ends the first time the clock shows 01:30.
// All functions are thread-safe (the zone database is loaded once).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/lab.h"

namespace schedule {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Whether `name` is a time zone of the system's database ("UTC",
// "America/Chicago"; links such as "US/Central" too).
bool IsKnownTimeZone(const std::string& name);
// Every zone name of the database (links are files there too), for
// "did you mean" hints.
const std::vector<std::string>& TimeZoneNames();

// The instant of a wall-clock time in `zone` (DST rules above). Throws
// core::InputError when the zone is unknown.
TimePoint ToInstant(const core::LocalDateTime& local, const std::string& zone);
// The wall-clock time of `when` in `zone`, to the minute (seconds dropped).
core::LocalDateTime ToLocal(TimePoint when, const std::string& zone);
// Day of the week of a date: 0 = Sunday .. 6 = Saturday.
int Weekday(const core::LocalDateTime& date);
// The date `days` after `date` (negative: before), minute unchanged.
core::LocalDateTime AddDays(const core::LocalDateTime& date, int days);

// `when` in `zone` with strftime-like `format` (date::format: %a, %H, %M,
// %Z for the abbreviation such as CST, %F...), in the C locale.
std::string FormatIn(TimePoint when, const std::string& zone, const std::string& format);

// UTC ISO 8601 with seconds, "2027-01-11T14:00:00Z", for the state database
// and JSON; ParseUtc reads it back, also with milliseconds as the store
// writes them ("2027-01-11T14:00:00.123Z", the fraction dropped); nullopt
// when malformed.
std::string FormatUtc(TimePoint when);
std::optional<TimePoint> ParseUtc(const std::string& text);

}  // namespace schedule

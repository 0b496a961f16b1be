// `--since` of `worlds events`: the moments a person types, read into the
// store's one time form (UTC, milliseconds: "2024-05-01T12:00:00.000Z").
#pragma once

#include <chrono>
#include <string>

namespace cli {

// The accepted forms, for help and error texts.
inline constexpr const char* kSinceForms =
    "an ISO 8601 date or date-time (2024-05-01, 2024-05-01T12:00, "
    "2024-05-01T12:00:00Z, 2024-05-01T14:00:00+02:00), a time ago (30m, 2h, 3d, 1w), "
    "today or yesterday";

// Reads `text` relative to `now`:
//   - an ISO 8601 date (its midnight) or date-time (minutes, optional
//     seconds and fraction; 'T' or one space between), with a zone ("Z",
//     "+02:00", "+0200", "+02") or without one (then UTC, like the times
//     `worlds events` prints);
//   - N followed by m, h, d or w: N minutes, hours, days or weeks before now;
//   - today, yesterday: midnight UTC of this day or the one before.
// Returns the moment as "YYYY-MM-DDTHH:MM:SS.mmmZ". Throws core::InputError
// naming the text and the accepted forms otherwise (exit code 2).
std::string ParseSince(const std::string& text, std::chrono::system_clock::time_point now);

}  // namespace cli

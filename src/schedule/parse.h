// Reading the text forms of schedule values, as written in a lab file and
// on the command line. Each returns nullopt for text not of its form; the
// caller says where it was and what was expected.
#pragma once

#include <optional>
#include <string>

#include "core/lab.h"
#include "schedule/time.h"

namespace schedule {

// "HH:MM" (00:00..23:59; "9:00" is accepted too) -> minutes since
// midnight. With `end_of_day`, "24:00" too (1440): the end of a window
// that runs to midnight.
std::optional<int> ParseClock(const std::string& text, bool end_of_day = false);
// Minutes since midnight (0..1440) -> "HH:MM".
std::string FormatClock(int minute);

// "YYYY-MM-DD HH:MM" (also with a 'T' between) of a real date.
std::optional<core::LocalDateTime> ParseLocalDateTime(const std::string& text);
std::string FormatLocalDateTime(const core::LocalDateTime& local);
// Orders by date, then minute: negative, 0 or positive like strcmp.
int Compare(const core::LocalDateTime& a, const core::LocalDateTime& b);

// "mon".."sun", also "monday".."sunday", any case -> 0 = Sunday .. 6.
std::optional<int> ParseDay(const std::string& text);
// 0..6 -> "sun".."sat".
const char* DayName(int day);

// A whole number of minutes, 0..1000000 ("30"); nullopt otherwise (negative
// ones too: the caller reports them).
std::optional<int> ParseMinutes(const std::string& text);

// When an instructor's override ends, as given on the command line:
// "YYYY-MM-DD HH:MM" in `zone`, or a duration after `now`: a whole number
// followed by m, h or d ("90m", "2h", "1d"). Throws core::InputError naming
// the accepted forms otherwise, or when the time is not after `now`.
TimePoint ParseWhen(const std::string& text, const std::string& zone, TimePoint now);

}  // namespace schedule

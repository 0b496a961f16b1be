#include "schedule/parse.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/error.h"

namespace schedule {
namespace {

bool AllDigits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
const char* const kLongDayNames[] = {"sunday",   "monday", "tuesday", "wednesday",
                                     "thursday", "friday", "saturday"};

}  // namespace

std::optional<int> ParseClock(const std::string& text, bool end_of_day) {
  size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string hours = text.substr(0, colon), minutes = text.substr(colon + 1);
  if (!AllDigits(hours) || hours.size() > 2 || !AllDigits(minutes) || minutes.size() != 2) {
    return std::nullopt;
  }
  int h = std::stoi(hours), m = std::stoi(minutes);
  if (end_of_day && h == 24 && m == 0) return 1440;
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string FormatClock(int minute) {
  char out[8];
  std::snprintf(out, sizeof out, "%02d:%02d", (minute / 60) % 100, minute % 60);
  return out;
}

std::optional<core::LocalDateTime> ParseLocalDateTime(const std::string& text) {
  // YYYY-MM-DD, then one space or 'T', then HH:MM.
  if (text.size() < 15 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T')) {
    return std::nullopt;
  }
  std::string year = text.substr(0, 4), month = text.substr(5, 2), day = text.substr(8, 2);
  if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return std::nullopt;
  std::optional<int> minute = ParseClock(text.substr(11));
  if (!minute) return std::nullopt;
  core::LocalDateTime out{std::stoi(year), std::stoi(month), std::stoi(day), *minute};
  if (out.year < 1970 || out.month < 1 || out.month > 12 || out.day < 1 ||
      out.day > DaysInMonth(out.year, out.month)) {
    return std::nullopt;
  }
  return out;
}

std::string FormatLocalDateTime(const core::LocalDateTime& local) {
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02d-%02d ", local.year, local.month, local.day);
  return out + FormatClock(local.minute);
}

int Compare(const core::LocalDateTime& a, const core::LocalDateTime& b) {
  auto key = [](const core::LocalDateTime& t) {
    return ((static_cast<long long>(t.year) * 13 + t.month) * 32 + t.day) * 1440 + t.minute;
  };
  long long d = key(a) - key(b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

std::optional<int> ParseDay(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (int day = 0; day < 7; ++day) {
    if (lower == kDayNames[day] || lower == kLongDayNames[day]) return day;
  }
  return std::nullopt;
}

const char* DayName(int day) { return kDayNames[((day % 7) + 7) % 7]; }

std::optional<int> ParseMinutes(const std::string& text) {
  if (!AllDigits(text) || text.size() > 7) return std::nullopt;
  int value = std::stoi(text);
  if (value > 1000000) return std::nullopt;
  return value;
}

TimePoint ParseWhen(const std::string& text, const std::string& zone, TimePoint now) {
  const std::string forms =
      "give \"YYYY-MM-DD HH:MM\" in the lab's time zone (" + zone +
      ") or a duration such as 90m, 2h or 1d";
  std::optional<TimePoint> when;
  if (std::optional<core::LocalDateTime> local = ParseLocalDateTime(text)) {
    when = ToInstant(*local, zone);
  } else if (text.size() >= 2 && AllDigits(text.substr(0, text.size() - 1)) &&
             text.size() <= 8) {
    long long count = std::stoll(text.substr(0, text.size() - 1));
    switch (text.back()) {
      case 'm':
        when = now + std::chrono::minutes(count);
        break;
      case 'h':
        when = now + std::chrono::hours(count);
        break;
      case 'd':
        when = now + std::chrono::hours(24 * count);
        break;
      default:
        break;
    }
  }
  if (!when) throw core::InputError("cannot read the time '" + text + "'", "--until", forms);
  if (*when <= now) {
    throw core::InputError("the time '" + text + "' (" + FormatIn(*when, zone, "%F %H:%M %Z") +
                               ") is not in the future",
                           "--until", forms);
  }
  return *when;
}

}  // namespace schedule

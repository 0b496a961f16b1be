#include "schedule/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "schedule/parse.h"

// The zones must come from the system's tzdata, never a download: the
// date::date-tz target of libhowardhinnant-date-dev sets USE_OS_TZDB.
static_assert(USE_OS_TZDB == 1 && HAS_REMOTE_API == 0,
              "link date::date-tz (USE_OS_TZDB=1): zones come from /usr/share/zoneinfo");

namespace schedule {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::runtime_error&) {
    throw core::InputError("unknown time zone '" + name + "'", "",
                           "use an IANA name from /usr/share/zoneinfo, such as "
                           "America/Chicago or UTC");
  }
}

date::local_time<minutes> ToLocalTime(const core::LocalDateTime& local) {
  date::local_days day{date::year{local.year} / local.month / local.day};
  return date::local_time<minutes>{day.time_since_epoch()} + minutes{local.minute};
}

}  // namespace

bool IsKnownTimeZone(const std::string& name) {
  try {
    date::locate_zone(name);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

const std::vector<std::string>& TimeZoneNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    const date::tzdb& db = date::get_tzdb();
    for (const date::time_zone& zone : db.zones) out.push_back(std::string(zone.name()));
    std::sort(out.begin(), out.end());
    return out;
  }();
  return names;
}

TimePoint ToInstant(const core::LocalDateTime& local, const std::string& zone) {
  const date::time_zone* tz = Zone(zone);
  date::local_time<minutes> wall = ToLocalTime(local);
  date::local_info info = tz->get_info(wall);
  date::sys_seconds instant;
  switch (info.result) {
    case date::local_info::nonexistent:
      // In the gap: the first instant that exists after it (see time.h).
      instant = info.second.begin;
      break;
    default:
      // Unique, or ambiguous: `first` is the earlier offset (earliest).
      instant = date::sys_seconds{wall.time_since_epoch()} - info.first.offset;
      break;
  }
  return TimePoint{std::chrono::duration_cast<Clock::duration>(instant.time_since_epoch())};
}

core::LocalDateTime ToLocal(TimePoint when, const std::string& zone) {
  const date::time_zone* tz = Zone(zone);
  auto local = tz->to_local(date::floor<minutes>(when));
  date::local_days day = date::floor<date::days>(local);
  date::year_month_day ymd{day};
  core::LocalDateTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.minute = static_cast<int>((local - day).count());
  return out;
}

int Weekday(const core::LocalDateTime& date) {
  date::sys_days day{date::year{date.year} / date.month / date.day};
  return static_cast<int>(date::weekday{day}.c_encoding());
}

core::LocalDateTime AddDays(const core::LocalDateTime& date, int days) {
  date::sys_days day{date::year{date.year} / date.month / date.day};
  date::year_month_day ymd{day + date::days{days}};
  core::LocalDateTime out = date;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  return out;
}

std::string FormatIn(TimePoint when, const std::string& zone, const std::string& format) {
  date::zoned_time<seconds> zoned{Zone(zone), date::floor<seconds>(when)};
  return date::format(format, zoned);
}

std::string FormatUtc(TimePoint when) {
  return date::format("%FT%TZ", date::floor<seconds>(when));
}

std::optional<TimePoint> ParseUtc(const std::string& text) {
  // By hand rather than date::parse, whose inlined body trips GCC 12's
  // -Wmaybe-uninitialized: "YYYY-MM-DDTHH:MM:SSZ", or with milliseconds
  // as the store writes them ("...:SS.mmmZ", the fraction dropped).
  if (text.size() == 24 && text[19] == '.' && text[23] == 'Z') {
    return ParseUtc(text.substr(0, 19) + "Z");
  }
  if (text.size() != 20 || text[10] != 'T' || text[16] != ':' || text[19] != 'Z' ||
      !std::isdigit(static_cast<unsigned char>(text[17])) ||
      !std::isdigit(static_cast<unsigned char>(text[18]))) {
    return std::nullopt;
  }
  std::optional<core::LocalDateTime> local = ParseLocalDateTime(text.substr(0, 16));
  int second = std::stoi(text.substr(17, 2));
  if (!local || second > 59) return std::nullopt;
  date::sys_days day{date::year{local->year} / local->month / local->day};
  auto instant = day + minutes{local->minute} + seconds{second};
  return TimePoint{std::chrono::duration_cast<Clock::duration>(instant.time_since_epoch())};
}

}  // namespace schedule

#include "schedule/schedule.h"

#include <algorithm>

#include "schedule/parse.h"

namespace schedule {
namespace {

struct Interval {
  TimePoint start;
  TimePoint end;
};

// Days of windows generated around an instant: the day before (a window
// crossing midnight may still run) and nine after, so that a whole week
// after the instant is covered even when it falls late on a day.
constexpr int kDaysBefore = 1;
constexpr int kDaysGenerated = 11;
constexpr auto kWeek = std::chrono::hours(24 * 7);

// The windows that start on the local days around `around`, as instants,
// merged where they overlap or touch and cut to [lo, hi).
std::vector<Interval> Intervals(const core::LabSchedule& schedule, TimePoint around,
                                TimePoint lo, TimePoint hi) {
  core::LocalDateTime first = ToLocal(around, schedule.timezone);
  first.minute = 0;
  first = AddDays(first, -kDaysBefore);
  std::vector<Interval> raw;
  for (int d = 0; d < kDaysGenerated; ++d) {
    core::LocalDateTime day = AddDays(first, d);
    int weekday = Weekday(day);
    for (const core::WeeklyWindow& window : schedule.windows) {
      if (std::find(window.days.begin(), window.days.end(), weekday) == window.days.end()) {
        continue;
      }
      core::LocalDateTime from = day, to = window.to > window.from ? day : AddDays(day, 1);
      from.minute = window.from;
      to.minute = window.to;
      Interval interval{ToInstant(from, schedule.timezone), ToInstant(to, schedule.timezone)};
      interval.start = std::max(interval.start, lo);
      interval.end = std::min(interval.end, hi);
      // Empty when cut away by the bounds, or when a DST gap swallows it.
      if (interval.start < interval.end) raw.push_back(interval);
    }
  }
  std::sort(raw.begin(), raw.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> merged;
  for (const Interval& interval : raw) {
    if (!merged.empty() && interval.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, interval.end);
    } else {
      merged.push_back(interval);
    }
  }
  return merged;
}

}  // namespace

Openness OpenAt(const core::LabSchedule& schedule, TimePoint now) {
  std::optional<TimePoint> lo, hi;
  if (schedule.open) lo = ToInstant(*schedule.open, schedule.timezone);
  if (schedule.close) hi = ToInstant(*schedule.close, schedule.timezone);
  if (hi && now >= *hi) return {false, std::nullopt};
  if (schedule.windows.empty()) {
    if (lo && now < *lo) return {false, lo};
    return {true, hi};
  }
  TimePoint from = lo ? std::max(now, *lo) : now;
  std::vector<Interval> intervals =
      Intervals(schedule, from, lo.value_or(TimePoint::min()), hi.value_or(TimePoint::max()));
  for (const Interval& interval : intervals) {
    if (interval.start <= now && now < interval.end) {
      // Open for a whole week on end: the windows cover every hour of the
      // week, so only `close` ends it.
      if (interval.end - interval.start >= kWeek) return {true, hi};
      return {true, interval.end};
    }
    if (interval.start > now) return {false, interval.start};
  }
  // No window starts in the week after `from`: every one falls after close.
  return {false, std::nullopt};
}

LabState Effective(const std::optional<core::LabSchedule>& schedule,
                   const std::optional<Override>& override_, TimePoint now) {
  LabState state;
  if (override_ && (!override_->until || now < *override_->until)) {
    state.open = override_->open;
    state.overridden = true;
    state.why = (override_->open ? "opened by " : "closed by ") + override_->who;
    if (override_->until) {
      Openness after = schedule ? OpenAt(*schedule, *override_->until) : Openness{};
      state.until = after.open == override_->open ? after.next : override_->until;
    }
    return state;
  }
  if (!schedule) {
    state.why = "no schedule";
    return state;
  }
  Openness openness = OpenAt(*schedule, now);
  state.open = openness.open;
  state.until = openness.next;
  state.why = "schedule";
  return state;
}

std::optional<TimePoint> WarningDue(const LabState& state, int warning_minutes, TimePoint now) {
  if (!state.open || !state.until || warning_minutes <= 0) return std::nullopt;
  if (now < *state.until && now >= *state.until - std::chrono::minutes(warning_minutes)) {
    return state.until;
  }
  return std::nullopt;
}

std::string FormatForStudent(TimePoint when, const std::string& zone, TimePoint now) {
  if (when - now < std::chrono::hours(24 * 6)) return FormatIn(when, zone, "%a %H:%M %Z");
  return FormatIn(when, zone, "%a %F %H:%M %Z");
}

std::string Describe(const LabState& state, const std::string& zone, TimePoint now) {
  std::string out = state.open ? "open" : "closed";
  if (state.until) out += " until " + FormatForStudent(*state.until, zone, now);
  return out;
}

std::string Summary(const core::LabSchedule& schedule) {
  std::string out = schedule.timezone;
  for (const core::WeeklyWindow& window : schedule.windows) {
    out += ",";
    for (int day : window.days) out += std::string(" ") + DayName(day);
    out += " " + FormatClock(window.from) + "-" + FormatClock(window.to);
  }
  if (schedule.open) out += ", from " + FormatLocalDateTime(*schedule.open);
  if (schedule.close) out += std::string(schedule.open ? "" : ",") + " to " +
                             FormatLocalDateTime(*schedule.close);
  return out + "; warning " + std::to_string(schedule.warning_minutes) + " min, grace " +
         std::to_string(schedule.grace_minutes) + " min";
}

}  // namespace schedule

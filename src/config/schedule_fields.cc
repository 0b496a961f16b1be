#include "config/schedule_fields.h"

#include <optional>
#include <string>
#include <vector>

#include "core/names.h"  // Spellcheck
#include "schedule/parse.h"
#include "schedule/time.h"

namespace config::internal {
namespace {

const std::vector<std::string> kScheduleKeys = {"timezone", "open",    "close",
                                                "windows",  "warning", "grace"};
const std::vector<std::string> kWindowKeys = {"days", "from", "to"};
const std::vector<std::string> kIdleKeys = {"after"};
const std::vector<std::string> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

const char kWhere[] = "the schedule";
const char kDateTimeRule[] = "a date and time YYYY-MM-DD HH:MM in the schedule's time zone";
const char kClockRule[] = "a time HH:MM from 00:00 to 23:59";
const char kMinutesRule[] = "a whole number of minutes, 0 or more";

// The value of `key` as a mapping's Fields, checked against `allowed`;
// nullopt when absent or not a mapping (reported).
std::optional<Fields> Mapping(Fields& parent, const std::string& key, const std::string& rule,
                              const std::vector<std::string>& allowed, const std::string& where,
                              Reporter* reporter) {
  const Fields::Entry* entry = parent.Find(key);
  if (!entry) return std::nullopt;
  if (!entry->value.IsMap()) {
    reporter->Error(parent.ValuePos(key), "'" + key + "' in the lab must be a mapping with " +
                                              rule + ", not " + KindName(entry->value));
    return std::nullopt;
  }
  Fields fields(entry->value, reporter);
  fields.Check(allowed, where);
  return fields;
}

std::optional<int> Minutes(Fields& fields, const std::string& key, const std::string& where,
                           int minimum, const std::string& rule, Reporter* reporter) {
  std::optional<std::string> text = fields.String(key, false, where, rule);
  if (!text) return std::nullopt;
  std::optional<int> minutes = schedule::ParseMinutes(*text);
  if (!minutes || *minutes < minimum) {
    reporter->Error(fields.ValuePos(key),
                    "'" + key + "' in " + where + " must be " + rule + ", not '" + *text + "'");
    return std::nullopt;
  }
  return minutes;
}

std::optional<core::LocalDateTime> DateTime(Fields& fields, const std::string& key,
                                            Reporter* reporter) {
  std::optional<std::string> text = fields.String(key, false, kWhere, kDateTimeRule);
  if (!text) return std::nullopt;
  std::optional<core::LocalDateTime> local = schedule::ParseLocalDateTime(*text);
  if (!local) {
    reporter->Error(fields.ValuePos(key), "'" + key + "' in the schedule must be " +
                                              kDateTimeRule + ", not '" + *text + "'");
  }
  return local;
}

void ReadTimeZone(Fields& fields, Reporter* reporter, core::LabSchedule* schedule) {
  std::optional<std::string> zone =
      fields.String("timezone", false, kWhere, "a time zone name such as America/Chicago");
  if (!zone) return;
  if (schedule::IsKnownTimeZone(*zone)) {
    schedule->timezone = *zone;
    return;
  }
  std::string hint = core::Spellcheck(*zone, schedule::TimeZoneNames());
  reporter->Error(fields.ValuePos("timezone"),
                  "unknown time zone '" + *zone + "' in the schedule" +
                      (hint.empty() ? " (use a name from /usr/share/zoneinfo, such as "
                                      "America/Chicago, Europe/Berlin or UTC)"
                                    : " (did you mean '" + hint + "'?)"));
}

void ReadDays(Fields& fields, const std::string& where, Reporter* reporter,
              core::WeeklyWindow* window) {
  const Fields::Entry* entry = fields.Find("days");
  if (!entry) {
    reporter->Error(fields.node(), "missing required key 'days' in " + where);
    return;
  }
  std::vector<YAML::Node> names;
  if (entry->value.IsScalar()) {
    names.push_back(entry->value);  // one day as a plain string
  } else if (entry->value.IsSequence()) {
    for (size_t i = 0; i < entry->value.size(); ++i) names.push_back(entry->value[i]);
  }
  if (names.empty()) {
    reporter->Error(fields.ValuePos("days"),
                    "'days' in " + where + " must list at least one day (mon to sun)");
    return;
  }
  for (const YAML::Node& name : names) {
    std::optional<int> day = name.IsScalar() ? schedule::ParseDay(name.Scalar()) : std::nullopt;
    if (day) {
      window->days.push_back(*day);
      continue;
    }
    std::string text = name.IsScalar() ? "'" + name.Scalar() + "'" : KindName(name);
    // "tues", "thurs": a day's name is its first three letters. Edit
    // distance would suggest 'mon' for anything three letters long.
    std::string hint;
    for (const std::string& known : kDays) {
      if (name.IsScalar() && name.Scalar().rfind(known, 0) == 0) hint = known;
    }
    reporter->Error(reporter->Pos(name, fields.ValuePos("days")),
                    "unknown day " + text + " in " + where +
                        (hint.empty() ? " (days are mon, tue, wed, thu, fri, sat, sun)"
                                      : " (did you mean '" + hint + "'?)"));
  }
}

std::optional<int> Clock(Fields& fields, const std::string& key, const std::string& where,
                         bool end_of_day, Reporter* reporter) {
  const std::string rule = end_of_day ? "a time HH:MM from 00:00 to 24:00" : kClockRule;
  std::optional<std::string> text = fields.String(key, true, where, rule);
  if (!text) return std::nullopt;
  std::optional<int> minute = schedule::ParseClock(*text, end_of_day);
  if (!minute) {
    reporter->Error(fields.ValuePos(key),
                    "'" + key + "' in " + where + " must be " + rule + ", not '" + *text + "'");
  }
  return minute;
}

void ReadWindow(const YAML::Node& node, size_t n, Reporter* reporter,
                core::LabSchedule* schedule) {
  const std::string where = "window " + std::to_string(n) + " of the schedule";
  if (!node.IsMap()) {
    reporter->Error(node, where + " must be a mapping with keys days, from and to, not " +
                              KindName(node));
    return;
  }
  Fields fields(node, reporter);
  fields.Check(kWindowKeys, where);
  core::WeeklyWindow window;
  window.pos = reporter->Pos(node);
  ReadDays(fields, where, reporter, &window);
  std::optional<int> from = Clock(fields, "from", where, false, reporter);
  std::optional<int> to = Clock(fields, "to", where, true, reporter);
  if (!from || !to || window.days.empty()) return;
  if (*from == *to) {
    reporter->Error(fields.ValuePos("to"),
                    where + " has zero length: 'from' and 'to' are both " +
                        schedule::FormatClock(*from) +
                        " (for a whole day write from \"00:00\" to \"24:00\")");
    return;
  }
  window.from = *from;
  window.to = *to;
  schedule->windows.push_back(window);
}

}  // namespace

void ReadSchedule(Fields& lab_fields, Reporter* reporter, core::Lab* lab) {
  std::optional<Fields> fields =
      Mapping(lab_fields, "schedule", "keys timezone, open, close, windows, warning and grace",
              kScheduleKeys, kWhere, reporter);
  if (!fields) return;
  core::LabSchedule schedule;
  schedule.pos = lab_fields.ValuePos("schedule");
  ReadTimeZone(*fields, reporter, &schedule);
  schedule.open = DateTime(*fields, "open", reporter);
  schedule.close = DateTime(*fields, "close", reporter);
  if (schedule.open && schedule.close && schedule::Compare(*schedule.close, *schedule.open) <= 0) {
    reporter->Error(fields->ValuePos("close"),
                    "'close' (" + schedule::FormatLocalDateTime(*schedule.close) +
                        ") in the schedule is not after 'open' (" +
                        schedule::FormatLocalDateTime(*schedule.open) + ")");
  }
  if (std::optional<YAML::Node> windows = fields->List("windows", false, kWhere)) {
    if (windows->size() == 0) {
      reporter->Error(fields->ValuePos("windows"),
                      "'windows' in the schedule must list at least one window (leave it out "
                      "to keep the lab open from 'open' to 'close')");
    }
    for (size_t i = 0; i < windows->size(); ++i) {
      ReadWindow((*windows)[i], i + 1, reporter, &schedule);
    }
  }
  if (auto warning = Minutes(*fields, "warning", kWhere, 0, kMinutesRule, reporter)) {
    schedule.warning_minutes = *warning;
  }
  if (auto grace = Minutes(*fields, "grace", kWhere, 0, kMinutesRule, reporter)) {
    schedule.grace_minutes = *grace;
  }
  lab->schedule = schedule;
}

void ReadIdleShutdown(Fields& lab_fields, Reporter* reporter, core::Lab* lab) {
  const std::string where = "idle-shutdown";
  std::optional<Fields> fields =
      Mapping(lab_fields, where, "the key after", kIdleKeys, where, reporter);
  if (!fields) return;
  core::IdlePolicy idle;
  idle.pos = lab_fields.ValuePos(where);
  const char rule[] = "a whole number of minutes, 1 or more";
  if (!fields->Find("after")) {
    reporter->Error(fields->node(), "missing required key 'after' in idle-shutdown");
  }
  std::optional<int> after = Minutes(*fields, "after", where, 1, rule, reporter);
  if (!after) return;
  idle.after_minutes = *after;
  lab->idle = idle;
}

}  // namespace config::internal

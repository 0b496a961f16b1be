#include "schedule/policy_json.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "schedule/parse.h"

namespace schedule {
namespace {

using nlohmann::json;

json EncodeSchedule(const core::LabSchedule& schedule) {
  json out = json::object();
  out["timezone"] = schedule.timezone;
  if (schedule.open) out["open"] = FormatLocalDateTime(*schedule.open);
  if (schedule.close) out["close"] = FormatLocalDateTime(*schedule.close);
  if (!schedule.windows.empty()) {
    json windows = json::array();
    for (const core::WeeklyWindow& window : schedule.windows) {
      json days = json::array();
      for (int day : window.days) days.push_back(DayName(day));
      windows.push_back(
          {{"days", days}, {"from", FormatClock(window.from)}, {"to", FormatClock(window.to)}});
    }
    out["windows"] = windows;
  }
  out["warning"] = schedule.warning_minutes;
  out["grace"] = schedule.grace_minutes;
  return out;
}

[[noreturn]] void Bad(const std::string& what) {
  throw core::Error("the lab policy in the state database is malformed: " + what, "labs.policy",
                    "re-deploy the lab so that its policy is written again");
}

core::LocalDateTime LocalOf(const json& value, const char* key) {
  std::optional<core::LocalDateTime> local = ParseLocalDateTime(value.get<std::string>());
  if (!local) Bad(std::string("'") + key + "' is not YYYY-MM-DD HH:MM");
  return *local;
}

int ClockOf(const json& value, bool end_of_day) {
  std::optional<int> minute = ParseClock(value.get<std::string>(), end_of_day);
  if (!minute) Bad("a window time is not HH:MM");
  return *minute;
}

core::LabSchedule DecodeSchedule(const json& in) {
  core::LabSchedule schedule;
  schedule.timezone = in.at("timezone").get<std::string>();
  if (in.contains("open")) schedule.open = LocalOf(in.at("open"), "open");
  if (in.contains("close")) schedule.close = LocalOf(in.at("close"), "close");
  if (in.contains("windows")) {
    for (const json& w : in.at("windows")) {
      core::WeeklyWindow window;
      for (const json& day : w.at("days")) {
        std::optional<int> parsed = ParseDay(day.get<std::string>());
        if (!parsed) Bad("unknown day '" + day.get<std::string>() + "'");
        window.days.push_back(*parsed);
      }
      window.from = ClockOf(w.at("from"), false);
      window.to = ClockOf(w.at("to"), true);
      schedule.windows.push_back(window);
    }
  }
  schedule.warning_minutes = in.value("warning", schedule.warning_minutes);
  schedule.grace_minutes = in.value("grace", schedule.grace_minutes);
  return schedule;
}

}  // namespace

std::string EncodePolicy(const core::Lab& lab) {
  if (!lab.schedule && !lab.idle) return "";
  json out = json::object();
  if (lab.schedule) out["schedule"] = EncodeSchedule(*lab.schedule);
  if (lab.idle) {
    out["idle"] = {{"after", lab.idle->after_minutes}, {"cpu_fraction", lab.idle->cpu_fraction}};
  }
  return out.dump();
}

Policy DecodePolicy(const std::string& text) {
  Policy policy;
  if (text.empty()) return policy;
  try {
    json in = json::parse(text);
    if (!in.is_object()) Bad("not a JSON object");
    if (in.contains("schedule")) policy.schedule = DecodeSchedule(in.at("schedule"));
    if (in.contains("idle")) {
      core::IdlePolicy idle;
      const json& i = in.at("idle");
      idle.after_minutes = i.at("after").get<int>();
      idle.cpu_fraction = i.value("cpu_fraction", idle.cpu_fraction);
      policy.idle = idle;
    }
  } catch (const json::exception& e) {
    Bad(e.what());
  }
  return policy;
}

}  // namespace schedule

// `worlds lab open|close|follow-schedule|state`: an instructor's override
// of a lab's schedule, and what state each deployed lab is in. `now` is a
// parameter so tests fix it; the runners pass the clock's.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "schedule/time.h"
#include "store/store.h"

namespace cli {

enum class LabSwitch { kOpen, kClose, kFollowSchedule };

struct LabSwitchRequest {
  std::string lab;  // a lab's name or its YAML file
  LabSwitch what = LabSwitch::kOpen;
  // --until as typed: "YYYY-MM-DD HH:MM" in the lab's zone or 90m/2h/1d.
  std::optional<std::string> until;
  std::string actor;
  int64_t uid = -1;
};

// Records the override (or drops it, for kFollowSchedule) with an events
// row (action lab-open, lab-close or lab-follow-schedule), and prints the
// lab's state after it. Throws core::InputError and changes nothing when
// the lab was never deployed or --until is unreadable or past.
void SwitchLab(store::Store& store, const LabSwitchRequest& request, schedule::TimePoint now,
               std::ostream& out);

// Prints the state of `lab` (every recorded lab when nullopt): a table LAB,
// STATE, UNTIL, WHY, or with `json` an array of
// {"lab", "open", "until" (UTC ISO or null), "until_local" ("Mon 09:00
// CST" or null), "why", "timezone", "override" ({"state", "until",
// "actor", "at"} or null, only while in force), "idle_after" (minutes or
// null)}. Throws core::InputError for an unknown lab.
void ShowLabState(store::Store& store, const std::optional<std::string>& lab, bool json,
                  schedule::TimePoint now, std::ostream& out);

}  // namespace cli

// A deployed lab's schedule, idle policy and override, read from the state
// database, and the state they put it in: the one place `worlds lab state`
// and the broker's enforcement decide whether a lab is open.
#pragma once

#include <optional>
#include <string>

#include "schedule/policy_json.h"
#include "schedule/schedule.h"
#include "store/store.h"

namespace deploy {

struct LabPolicyState {
  std::string lab;
  schedule::Policy policy;                    // as the last deploy recorded it
  std::optional<schedule::Override> override_;  // as recorded, even if expired
  schedule::LabState state;                   // at the `now` given
  std::string timezone;  // the schedule's, "UTC" without one: for showing times
};

// Reads `lab` (a recorded lab's name) and evaluates it at `now`. Throws
// core::InputError "unknown lab" (with a did-you-mean among the recorded
// labs) when it was never deployed, and core::Error when its recorded
// policy is malformed.
LabPolicyState ReadLabPolicy(store::Store& store, const std::string& lab, schedule::TimePoint now);

// The store's row as the schedule module's override, and back.
schedule::Override ToOverride(const store::LabOverrideRecord& record);
store::LabOverrideRecord ToRecord(const std::string& lab, const schedule::Override& override_);

}  // namespace deploy

// A lab's schedule and idle policy as JSON, the form the state database
// keeps (labs.policy, written by deploy) and the broker reads back. The one
// place that encodes and decodes it.
#pragma once

#include <optional>
#include <string>

#include "core/lab.h"

namespace schedule {

struct Policy {
  std::optional<core::LabSchedule> schedule;
  std::optional<core::IdlePolicy> idle;
};

// "" for a lab with neither (always open, never idle-stopped); otherwise
// {"schedule": {"timezone": "America/Chicago", "open": "2027-01-11 08:00",
//   "close": ..., "windows": [{"days": ["mon","wed"], "from": "09:00",
//   "to": "11:50"}], "warning": 5, "grace": 2},
//  "idle": {"after": 30, "cpu_fraction": 0.02}}
// with absent parts left out. Source positions are not kept.
std::string EncodePolicy(const core::Lab& lab);
// Reads EncodePolicy's output ("" -> neither). Throws core::Error naming
// the text's problem when it is not of that form.
Policy DecodePolicy(const std::string& json);

}  // namespace schedule

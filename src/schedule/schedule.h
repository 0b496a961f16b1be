// Whether a lab is open at a given instant: its weekly windows and absolute
// bounds in its own time zone (core::LabSchedule), and an instructor's
// override on top. Pure functions: the caller passes `now` (no clock is
// read here), so the broker decides with one reading and tests need no
// clock. DST handling: see schedule/time.h.
#pragma once

#include <optional>
#include <string>

#include "core/lab.h"
#include "schedule/time.h"

namespace schedule {

struct Openness {
  bool open = true;
  // The next change: when it closes if open, when it next opens if closed;
  // nullopt when it never changes again (always open, or closed for good).
  std::optional<TimePoint> next;
};

// The schedule's own answer at `now`. Windows are merged when they overlap
// or touch (Mon 09:00-11:00 and 11:00-12:00 close once, at 12:00; a window
// to 24:00 and one from 00:00 the next day run through midnight), and cut to
// [open, close): the lab is closed before `open` and from `close` on.
// Throws core::InputError for an unknown time zone (the lab parser has
// already refused one).
Openness OpenAt(const core::LabSchedule& schedule, TimePoint now);

// An instructor's `worlds lab open|close`: wins over the schedule until
// `until` passes; without `until`, until the instructor changes it again.
struct Override {
  bool open = true;
  std::optional<TimePoint> until;
  std::string who;  // user name
  TimePoint when;   // when it was given
};

struct LabState {
  bool open = true;
  // When this state ends (the override's end, or the schedule's next
  // change); nullopt: it does not end by itself.
  std::optional<TimePoint> until;
  // "schedule", "no schedule", "opened by <who>" or "closed by <who>".
  std::string why;
  bool overridden = false;  // an override decides it
};

// The state a lab is in at `now`. A lab with neither a schedule nor an
// override in force is always open ("no schedule"). An override whose
// `until` has passed is ignored. When an override ends in the state the
// schedule would be in then, `until` is the schedule's next change after it
// (the state does not change when the override ends).
LabState Effective(const std::optional<core::LabSchedule>& schedule,
                   const std::optional<Override>& override_, TimePoint now);

// Whether the broker should warn the students of a close now: the lab is
// open, closes at state.until, and `now` is within `warning_minutes` of it
// (LabSchedule::warning_minutes; 5 for a lab without a schedule). Returns
// the close time then, nullopt otherwise.
std::optional<TimePoint> WarningDue(const LabState& state, int warning_minutes, TimePoint now);

// A time for a student in the lab's zone: "Mon 09:00 CST" within six days
// of `now`, "Mon 2027-01-11 09:00 CST" further away.
std::string FormatForStudent(TimePoint when, const std::string& zone, TimePoint now);
// The state as a student reads it: "open", "open until Wed 11:50 CST",
// "closed until Mon 09:00 CST" or "closed".
std::string Describe(const LabState& state, const std::string& zone, TimePoint now);

// One line for `worlds lab validate`: "America/Chicago, mon wed
// 09:00-11:50, fri 22:00-02:00, from 2027-01-11 08:00 to 2027-05-07 17:00;
// warning 5 min, grace 2 min".
std::string Summary(const core::LabSchedule& schedule);

}  // namespace schedule

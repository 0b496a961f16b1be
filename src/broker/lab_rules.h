// What the broker carries out by itself, on a timer: each lab's schedule
// (warn the students on a console before a close; at the close an ACPI
// shutdown of every running VM of the lab, a power off after the grace
// period) and its idle rule (a VM with no console session and next to no
// CPU for the lab's time gets an ACPI shutdown, and a power off after the
// same grace if it ignores it). Every action is a deploy::VmActions
// (the World lock, the admission rule, one events row naming the rule), and
// a VM the rules stopped carries a note the student reads in the menu.
//
// Nothing is kept that a restart must find: a closed lab's running VMs get
// their ACPI shutdown again from a restarted broker and the grace counts
// from then, so an interrupted close converges at most one grace later.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "schedule/idle.h"
#include "schedule/time.h"

namespace broker {

struct Backend;

class LabRules {
 public:
  explicit LabRules(Backend& backend) : backend_(backend) {}

  // One pass over every deployed lab at `now`. Errors are logged, never
  // thrown: the next pass tries again.
  void Tick(schedule::TimePoint now);

  // Why the rules stopped `domain`, while it stays stopped ("" otherwise).
  std::string Note(const std::string& domain);

 private:
  void Closed(const std::string& lab, const std::string& domain, int grace_minutes,
              const std::string& timezone, schedule::TimePoint now);
  void Act(const std::string& domain, bool power_off, const std::string& why,
           const std::string& note);

  Backend& backend_;
  schedule::IdleTracker idle_;
  // Domain -> when this broker asked it to shut down because its lab closed.
  std::map<std::string, schedule::TimePoint> closing_;
  // Domain -> when this broker asked it to shut down because it was idle:
  // powered off if it still runs a grace later (a guest that ignores ACPI).
  std::map<std::string, schedule::TimePoint> idle_stopping_;
  // Domain -> the close a warning was sent for.
  std::map<std::string, schedule::TimePoint> warned_;
  std::mutex notes_mu_;
  std::map<std::string, std::string> notes_;
};

}  // namespace broker

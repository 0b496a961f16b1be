// The idle-shutdown rule (core::IdlePolicy): a VM is idle while nobody has
// its console open and it uses almost no CPU. Fed the CPU time the
// hypervisor reports (virt::Usage), with the instants the caller read it
// at; no clock is read here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/lab.h"
#include "schedule/time.h"

namespace schedule {

// Whether the period between two readings of a domain's CPU time was idle:
// no console session, and cpu_after - cpu_before (ns, all vCPUs together)
// below policy.cpu_fraction of `vcpus` vCPUs for `wall` — with the default
// 2%, under 1.2 s of CPU per minute per vCPU. A CPU time that went
// backwards (the domain was restarted) or a non-positive `wall` is not idle:
// nothing is known about the period.
bool IdleBetween(uint64_t cpu_before_ns, uint64_t cpu_after_ns, std::chrono::nanoseconds wall,
                 int vcpus, bool console_open, const core::IdlePolicy& policy);

// Follows many domains over time, of any number of labs: each reading
// carries its lab's policy. Not thread-safe: one owner (the broker's idle
// loop) feeds it.
class IdleTracker {
 public:
  // Records a reading of `domain` taken at `at`; returns true when the
  // domain has now been idle for policy.after_minutes without a break. A
  // console session or a busy period starts the count again; the first
  // reading of a domain only starts it (it has no period yet), and a reading
  // not later than the last one changes nothing.
  bool Observe(const std::string& domain, uint64_t cpu_ns, int vcpus, bool console_open,
               TimePoint at, const core::IdlePolicy& policy);
  // Since when `domain` has been idle; nullopt when it is not (or unknown).
  std::optional<TimePoint> IdleSince(const std::string& domain) const;
  // Drops a domain (shut down, destroyed): its next reading starts afresh.
  void Forget(const std::string& domain);

 private:
  struct Track {
    uint64_t cpu_ns = 0;
    TimePoint at;
    std::optional<TimePoint> idle_since;
  };
  std::map<std::string, Track> tracks_;
};

}  // namespace schedule

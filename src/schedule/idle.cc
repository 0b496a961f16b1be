#include "schedule/idle.h"

namespace schedule {

bool IdleBetween(uint64_t cpu_before_ns, uint64_t cpu_after_ns, std::chrono::nanoseconds wall,
                 int vcpus, bool console_open, const core::IdlePolicy& policy) {
  if (console_open || wall.count() <= 0 || cpu_after_ns < cpu_before_ns) return false;
  double used = static_cast<double>(cpu_after_ns - cpu_before_ns);
  double allowed =
      policy.cpu_fraction * static_cast<double>(wall.count()) * static_cast<double>(vcpus > 0 ? vcpus : 1);
  return used < allowed;
}

bool IdleTracker::Observe(const std::string& domain, uint64_t cpu_ns, int vcpus,
                          bool console_open, TimePoint at, const core::IdlePolicy& policy) {
  auto found = tracks_.find(domain);
  if (found == tracks_.end()) {
    tracks_[domain] = Track{cpu_ns, at, std::nullopt};
    return false;
  }
  Track& track = found->second;
  auto idle_long_enough = [&] {
    return track.idle_since &&
           track.at - *track.idle_since >= std::chrono::minutes(policy.after_minutes);
  };
  // A reading no later than the last one says nothing about a period.
  if (at <= track.at) return idle_long_enough();
  bool idle = IdleBetween(track.cpu_ns, cpu_ns,
                          std::chrono::duration_cast<std::chrono::nanoseconds>(at - track.at),
                          vcpus, console_open, policy);
  if (!idle) {
    track.idle_since.reset();
  } else if (!track.idle_since) {
    track.idle_since = track.at;
  }
  track.cpu_ns = cpu_ns;
  track.at = at;
  return idle_long_enough();
}

std::optional<TimePoint> IdleTracker::IdleSince(const std::string& domain) const {
  auto found = tracks_.find(domain);
  if (found == tracks_.end()) return std::nullopt;
  return found->second.idle_since;
}

void IdleTracker::Forget(const std::string& domain) { tracks_.erase(domain); }

}  // namespace schedule

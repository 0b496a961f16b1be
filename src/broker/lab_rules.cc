#include "broker/lab_rules.h"

#include <iostream>
#include <set>
#include <vector>

#include "broker/server.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/lab_policy.h"
#include "deploy/vm_actions.h"

namespace broker {
namespace {

// Who the rules act as, in events rows.
constexpr const char* kRulesActor = "worlds-rules";

std::string Minutes(int minutes) { return std::to_string(minutes) + " min"; }

}  // namespace

std::string LabRules::Note(const std::string& domain) {
  std::lock_guard<std::mutex> lock(notes_mu_);
  auto it = notes_.find(domain);
  return it == notes_.end() ? "" : it->second;
}

void LabRules::Act(const std::string& domain, bool power_off, const std::string& why,
                   const std::string& note) {
  std::optional<store::VmRecord> vm;
  {
    std::lock_guard<std::mutex> lock(backend_.store_mu);
    vm = backend_.store->FindVmByDomain(domain);
  }
  if (!vm) return;  // destroyed meanwhile
  deploy::EventRecorder record = [this](const store::Event& event) {
    std::lock_guard<std::mutex> lock(backend_.store_mu);
    backend_.store->AddEvent(event);
  };
  deploy::Actor actor{0, kRulesActor, deploy::Spelling::kProtocol, why};
  deploy::VmOutcome outcome;
  {
    std::unique_lock<std::mutex> lock = backend_.vm_locks.Lock(domain);
    try {
      deploy::VmActions actions(backend_.options.state_dir, backend_.HypervisorOf(vm->host),
                                record, deploy::Admission{backend_.options.capacity, nullptr});
      outcome = actions.Run(power_off ? deploy::VmOp::kPowerOff : deploy::VmOp::kShutdown, *vm,
                            actor);
    } catch (const core::Error& e) {
      outcome.result = "error";
      outcome.detail = e.Describe();
    }
  }
  if (outcome.ok()) {
    std::lock_guard<std::mutex> lock(notes_mu_);
    notes_[domain] = note;
  } else {
    std::cerr << "worlds broker: " << why << ": " << domain << ": " << outcome.detail
              << std::endl;
  }
}

void LabRules::Closed(const std::string& lab, const std::string& domain, int grace_minutes,
                      const std::string& timezone, schedule::TimePoint now) {
  auto asked = closing_.find(domain);
  std::string at = schedule::FormatIn(now, timezone, "%H:%M %Z");
  if (asked == closing_.end()) {
    closing_[domain] = now;
    Act(domain, false, "lab '" + lab + "' closed",
        "shut down at " + at + ": the lab closed");
  } else if (now - asked->second >= std::chrono::minutes(grace_minutes)) {
    Act(domain, true,
        "lab '" + lab + "' closed; still running " + Minutes(grace_minutes) +
            " after its ACPI shutdown",
        "powered off at " + at + ": the lab closed");
  }
}

void LabRules::Tick(schedule::TimePoint now) {
  try {
    std::vector<store::VmRecord> vms;
    std::map<std::string, deploy::LabPolicyState> labs;
    {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      vms = backend_.store->Vms(std::nullopt, std::nullopt);
      for (const store::VmRecord& vm : vms) {
        if (labs.count(vm.lab)) continue;
        try {
          labs.emplace(vm.lab, deploy::ReadLabPolicy(*backend_.store, vm.lab, now));
        } catch (const core::Error& e) {
          std::cerr << "worlds broker: lab '" << vm.lab << "': " << e.Describe() << std::endl;
        }
      }
    }
    // Each lab host's domains; a host that cannot be read now is left to
    // the next tick (its VMs look shut off to this one: nothing is done).
    std::map<std::string, virt::DomainUsage> usage;
    std::set<std::string> hosts;
    for (const store::VmRecord& vm : vms) hosts.insert(vm.host);
    hosts.insert("");
    for (const std::string& host : hosts) {
      try {
        for (virt::DomainUsage& d : backend_.ReaderOf(host).Usage(core::kObjectPrefix)) {
          usage[d.name] = std::move(d);
        }
      } catch (const core::Error& e) {
        if (host.empty()) throw;
        std::cerr << "worlds broker: " << e.Describe() << std::endl;
      }
    }
    for (const store::VmRecord& vm : vms) {
      auto lab = labs.find(vm.lab);
      auto found = usage.find(vm.domain);
      bool running = found != usage.end() &&
                     found->second.state != virt::DomainState::kShutOff;
      if (!running) {
        closing_.erase(vm.domain);
        idle_stopping_.erase(vm.domain);
        warned_.erase(vm.domain);
        idle_.Forget(vm.domain);
        continue;
      }
      {
        // Running again (a student started it): the note is old news.
        std::lock_guard<std::mutex> lock(notes_mu_);
        notes_.erase(vm.domain);
      }
      if (lab == labs.end()) continue;
      const deploy::LabPolicyState& policy = lab->second;
      // A lab without a schedule (closed by an instructor) has the
      // schedule's default warning and grace.
      static const core::LabSchedule kNoSchedule;
      const core::LabSchedule& sched =
          policy.policy.schedule ? *policy.policy.schedule : kNoSchedule;
      if (!policy.state.open) {
        idle_.Forget(vm.domain);
        idle_stopping_.erase(vm.domain);
        Closed(vm.lab, vm.domain, sched.grace_minutes, policy.timezone, now);
        continue;
      }
      closing_.erase(vm.domain);
      if (std::optional<schedule::TimePoint> close =
              schedule::WarningDue(policy.state, sched.warning_minutes, now)) {
        auto sent = warned_.find(vm.domain);
        if ((sent == warned_.end() || sent->second != *close) &&
            backend_.consoles.Open(vm.domain)) {
          std::string text = "\r\n[worlds] Lab '" + vm.lab + "' closes at " +
                             schedule::FormatForStudent(*close, policy.timezone, now) +
                             ": save your work; its VMs will then be shut down.\r\n";
          if (backend_.consoles.Tell(vm.domain, text) > 0) warned_[vm.domain] = *close;
        }
      }
      if (const std::optional<core::IdlePolicy>& idle = policy.policy.idle) {
        bool console = backend_.consoles.Open(vm.domain);
        int grace = sched.grace_minutes;
        if (auto asked = idle_stopping_.find(vm.domain); asked != idle_stopping_.end()) {
          if (console) {
            idle_stopping_.erase(asked);  // someone came back in time
          } else if (now - asked->second >= std::chrono::minutes(grace)) {
            idle_stopping_.erase(asked);
            std::string at = schedule::FormatIn(now, policy.timezone, "%H:%M %Z");
            Act(vm.domain, true,
                "idle; still running " + Minutes(grace) + " after its ACPI shutdown",
                "powered off at " + at + ": idle for " + Minutes(idle->after_minutes));
          }
          continue;
        }
        if (idle_.Observe(vm.domain, found->second.cpu_time_ns, found->second.vcpus, console,
                          now, *idle)) {
          idle_.Forget(vm.domain);
          idle_stopping_[vm.domain] = now;
          std::string at = schedule::FormatIn(now, policy.timezone, "%H:%M %Z");
          Act(vm.domain, false, "idle for " + Minutes(idle->after_minutes),
              "shut down at " + at + ": idle for " + Minutes(idle->after_minutes));
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "worlds broker: lab rules: " << e.what() << std::endl;
  }
}

}  // namespace broker

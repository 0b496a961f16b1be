// How much of the host Worlds' guests may use, decided in one place: the
// admission rule every start passes (deploy/vm_actions.h), the capacity
// table of a deploy plan and `worlds top` all read it from here.
//
// The memory budget is what the guests of the host may be given at once:
//   budget = base × overcommit
//   base   = memory-budget as a percentage of the host's RAM ("90%", the
//            default: the rest is the host's, libvirtd's and the appliance's)
//            or as MiB ("20480")
// and a start is admitted when the memory of every domain already running
// or paused on the host (Worlds' or not) plus the new VM's fits in it.
// Memory is counted as configured, not as touched: a guest that has not yet
// used its RAM will, and the kernel's OOM killer does not wait for averages.
// With KSM merging the identical pages of clones of one base, a host holds
// more than its RAM: an overcommit of 1.3-1.5 is then reasonable (measure
// /sys/kernel/mm/ksm/pages_sharing under a real class first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "virt/hypervisor.h"

namespace capacity {

struct Policy {
  // memory-budget: a percentage of RAM (percent > 0) or a fixed size.
  double percent = 90;  // used when fixed_mib == 0
  int64_t fixed_mib = 0;
  double overcommit = 1.0;  // memory-overcommit
  // max-running-per-student: 0 means no limit.
  int max_running_per_owner = 0;
};

// Parses "90%" or "20480" (MiB) into `policy`. Returns what is wrong, in
// words ("" when valid): the settings module reports it with the file.
std::string ParseMemoryBudget(const std::string& text, Policy* policy);
std::string ParseOvercommit(const std::string& text, Policy* policy);
std::string ParseMaxRunning(const std::string& text, Policy* policy);

// The budget in MiB on a host of `host.memory_mib`.
int64_t BudgetMib(const Policy& policy, const virt::HostInfo& host);
// "90% of 24042 MiB RAM × overcommit 1.0 = 21637 MiB".
std::string DescribeBudget(const Policy& policy, const virt::HostInfo& host);

// What the domains on the host hold now: every domain that is not shut off.
struct Committed {
  int64_t memory_mib = 0;
  int vcpus = 0;
  int running = 0;
};
Committed Sum(const std::vector<virt::DomainUsage>& domains);

// Why a start would be refused, or nullopt when it is admitted.
struct Refusal {
  std::string rule;    // "memory" or "per-student"
  std::string message; // for the student, in the menu
};

// `domains`: every domain on the host (Hypervisor::Usage("")); `vm`: the one
// to start (its configured memory); `owner_running`: how many VMs of the
// same owner (student or group) run now.
std::optional<Refusal> Admit(const Policy& policy, const virt::HostInfo& host,
                             const std::vector<virt::DomainUsage>& domains,
                             const virt::DomainUsage& vm, int owner_running);

}  // namespace capacity

// Which lab host each World of a deploy lives on (issue 14). A World lives
// whole on one host: its networks are that host's bridges. Pure arithmetic
// over what the caller read from each host (libvirt's node info and domain
// usage, the storage dir's free space, the inventory's limits), so the rule
// is tested with fakes and costs microseconds per World.
//
// The rule, decided here only:
//   1. A World already placed stays where it is, whatever its host's load
//      or drain flag (moving one is `worlds host drain`'s job, not a
//      deploy's); its demand counts on that host.
//   2. Each new World, in roster order, goes to the host that is left with
//      the most memory headroom (budget minus what is committed, as a share
//      of the budget) once it is there; ties go to the host named first.
//   3. A host takes a new World only when it is reachable, not draining,
//      its memory fits the budget and its disk (every overlay grown to its
//      overlay-growth) fits the storage dir's free space less the host's
//      keep-free. Memory counts the domains running there that are not
//      this lab's, plus this lab's Worlds placed there at expected-running
//      as the one-host check counts them (capacity::ExpectedWorlds: that
//      many of the largest). vCPUs are time-shared: more than the host's
//      CPUs is a warning, never a refusal.
//   4. A World no host can take is refused, naming what each host lacks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capacity/budget.h"
#include "capacity/plan_fit.h"
#include "hosts/inventory.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace hosts {

// One host as placement sees it.
struct HostCapacity {
  std::string name;
  bool draining = false;
  std::string unreachable;        // why it could not be read; "" when it was
  int64_t memory_budget_mib = 0;  // capacity::BudgetMib of its RAM, or its
                                  // --memory limit
  int64_t memory_others_mib = 0;  // domains running there now that are not
                                  // this lab's
  int cpus = 0;                   // its CPUs, or its --vcpus limit
  int vcpus_others = 0;
  // Free space of its storage dir less keep-free; nullopt: not known (then
  // disk is not a reason to refuse, and the table says so).
  std::optional<uint64_t> disk_free_bytes;
};

// What a lab host reports for placement, read once and used for every lab
// placed over it (a drain or a rebalance places many Worlds in turn).
struct HostReading {
  std::string unreachable;  // why its libvirt could not be asked; "" when it was
  virt::HostInfo info;
  std::vector<virt::DomainUsage> domains;  // every domain there, any lab's
  std::optional<uint64_t> free_bytes;      // its storage dir's; nullopt: not known
};

using FreeBytes = std::function<std::optional<uint64_t>(const std::string& storage_dir)>;

// Reads `host` through `hypervisor`, its libvirt (unreachable, with
// libvirt's words, when it cannot be asked), and its storage dir's free
// space through `free_bytes` (only when libvirt answered; one that throws
// core::Error is not known).
HostReading ReadHost(const store::HostRecord& host, virt::Hypervisor& hypervisor,
                     const FreeBytes& free_bytes);
// The same through a connection `connect` opens for it.
HostReading ReadHost(const store::HostRecord& host, const Connector& connect,
                     const FreeBytes& free_bytes);

// `host` as placement sees it from `reading`: the budget (its --memory
// limit, else `budget` over its RAM), its CPUs (its --vcpus limit, else
// what it reports), what its domains outside `lab_domains` hold now, and
// the free space less its keep-free.
HostCapacity CapacityOf(const store::HostRecord& host, const HostReading& reading,
                        const capacity::Policy& budget, const std::set<std::string>& lab_domains);

// One World of the deploy.
struct WorldDemand {
  std::string owner;
  int64_t memory_mib = 0;  // all its VMs
  int vcpus = 0;
  uint64_t disk_bytes = 0;  // what its overlays may grow to (GrowthBytes)
  std::string host;         // where it lives now; "" when it is new
};

// A World's demand from its VMs as the capacity check counts them.
WorldDemand DemandOf(const std::string& owner, const std::vector<capacity::VmDemand>& vms,
                     const capacity::PlanPolicy& policy, const std::string& host);

// A host after placement.
struct HostLoad {
  std::string name;
  int worlds = 0;      // of this lab, placed there (kept and new)
  int new_worlds = 0;  // of them, new
  // The domains that are not this lab's plus this lab's Worlds there at
  // expected-running.
  int64_t memory_mib = 0;
  int vcpus = 0;
  uint64_t disk_bytes = 0;  // this lab's Worlds' disk
};

struct Placement {
  std::vector<std::string> host_of;  // per World, in the order given
  std::vector<HostLoad> hosts;       // in the order given
  std::vector<std::string> refused;  // one line per World no host can take
  std::vector<std::string> warnings; // vCPUs beyond a host's CPUs
  bool ok() const { return refused.empty(); }
};

// `expected_percent`: the lab's expected-running. A World whose `host` is
// not among `hosts` is refused (the inventory lost its host).
Placement Place(const std::vector<HostCapacity>& hosts, const std::vector<WorldDemand>& worlds,
                double expected_percent);

// The dry run's table: one line per host (Worlds kept and new, memory,
// vCPUs, disk, or why it takes none) and under it the owners of the Worlds
// there (`owners`: one per World given to Place, in that order), then the
// refusals and warnings. Ends in '\n'.
std::string DescribePlacement(const std::vector<HostCapacity>& hosts, const Placement& placement,
                              const std::vector<std::string>& owners);

}  // namespace hosts

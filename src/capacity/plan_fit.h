// Whether a deploy's result fits on the host: the lab's memory, vCPUs and
// disk against the host's memory budget (capacity/budget.h, the same budget
// every start is admitted against), its CPUs and the state dir's free space.
// Pure arithmetic: the caller reads the host (Hypervisor::Host, Usage(""),
// Disks) and passes the figures in.
//
// Memory is checked at the lab's expected concurrency (expected-running: the
// share of its Worlds expected to run at once), counting what the host's
// other domains hold now. A VM of this lab that is deployed already (running
// or not) is counted once, in the lab's figures: never also as "running now".
// vCPUs are time-shared, so more vCPUs than host CPUs is only a warning.
// Disk: every overlay may still grow by its overlay-growth budget less what
// it holds now; the state dir's free space must hold that.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capacity/budget.h"
#include "virt/hypervisor.h"

namespace capacity {

// The settings of the plan's check (expected-running, capacity-check,
// overlay-growth) with the memory budget's.
struct PlanPolicy {
  Policy budget;
  double expected_percent = 100;  // expected-running
  bool refuse = true;             // capacity-check: refuse (true) or warn
  // overlay-growth: MiB per VM (growth_mib > 0), or a percentage of the
  // VM's base image's virtual size.
  int64_t growth_mib = 0;
  double growth_percent = 25;
};

// Each returns what is wrong, in words ("" when valid), like budget.h's.
std::string ParseExpectedRunning(const std::string& text, PlanPolicy* policy);
std::string ParseCapacityCheck(const std::string& text, PlanPolicy* policy);
std::string ParseOverlayGrowth(const std::string& text, PlanPolicy* policy);

// One VM of the plan as the check needs it.
struct VmDemand {
  std::string domain;
  int memory_mib = 0;  // as it will be defined (a resize counts its new size)
  int vcpus = 0;
  uint64_t base_virtual_bytes = 0;  // the disk the guest sees
  uint64_t overlay_bytes = 0;       // its overlay holds now (0: none yet)
};

struct LabDemand {
  std::string lab;
  std::vector<std::vector<VmDemand>> worlds;  // each World's VMs
  uint64_t base_bytes = 0;  // the lab's base images on the host, each once
  // Domains the deploy removes (VMs the lab no longer has): not counted.
  std::set<std::string> leaving;
};

struct HostSupply {
  std::optional<virt::HostInfo> host;       // nullopt: libvirt not reached
  std::vector<virt::DomainUsage> domains;   // every domain (Usage(""))
  std::optional<uint64_t> state_free_bytes; // nullopt: not known
  std::string state_dir;
};

// Something the host lacks for the plan.
struct Shortfall {
  std::string resource;  // "memory", "disk", "vCPUs"
  std::string message;   // what is short, where, by how much
  bool refusable = true; // false: only ever a warning (vCPUs)
};

struct Fit {
  int worlds = 0, vms = 0;
  int expected_worlds = 0;  // Worlds expected to run at once
  double expected_percent = 100;
  // Memory (MiB).
  int64_t lab_all_mib = 0, lab_expected_mib = 0;
  int64_t others_mib = 0;  // other domains running or paused now
  int others_running = 0;
  std::optional<int64_t> budget_mib;
  std::string budget_text;  // DescribeBudget
  // vCPUs.
  int lab_all_vcpus = 0, lab_expected_vcpus = 0, others_vcpus = 0;
  std::optional<int> host_cpus;
  // Disk (bytes).
  uint64_t base_bytes = 0, overlay_bytes = 0;
  uint64_t growth_bytes = 0;  // what the overlays may still grow by
  std::string growth_rule;    // "25% of the base's virtual size", "2048 MiB"
  std::optional<uint64_t> free_bytes;
  std::string state_dir;
  bool refuse = true;

  std::vector<Shortfall> shortfalls;
  // Whether the deploy is refused: capacity-check=refuse and something
  // refusable is short.
  bool Refused() const;
};

Fit FitPlan(const PlanPolicy& policy, const LabDemand& lab, const HostSupply& supply);

// How many of `worlds` Worlds count as running at once at expected-running
// `expected_percent`: a share of a World is a whole World (students run
// their own), and at least one when there is any. The memory and vCPUs
// counted are those of that many of the largest Worlds.
int ExpectedWorlds(int worlds, double expected_percent);

// How much more disk `vm`'s overlay may take (overlay-growth less what it
// holds now; 0 when it holds more).
uint64_t GrowthBytes(const PlanPolicy& policy, const VmDemand& vm);

// Bytes for a person, as the capacity tables show them: MiB below 10 GiB
// ("512 MiB", "3.5 MiB"), GiB above ("70.6 GiB").
std::string DescribeBytes(uint64_t bytes);

// The table printed by `deploy --dry-run`, then one line per shortfall
// ("warning: ..." or "refused: ..."). Ends in '\n'.
std::string DescribeFit(const Fit& fit);
// Two lines for the deploy's summary: memory and disk, with any shortfall.
std::string DescribeFitShort(const Fit& fit);
// The fix for a refused deploy, in words.
std::string RefusalFix();

}  // namespace capacity

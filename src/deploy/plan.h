// The plan: what a deploy of one lab to some Worlds must do, from the
// desired state (lab × roster) and the actual state (libvirt, disks).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/lab.h"
#include "guest/customizer.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

class Disks;  // deploy/env.h

// What one VM needs. Every VM that is not complete is redone from its
// overlay on: an overlay with no `clean` snapshot was never booted, so it
// holds no student data and may be recreated. An overlay that has `clean`
// is the student's and is never recreated by a deploy.
enum class VmAction {
  kNothing,   // domain, overlay and `clean` snapshot all present
  kAdopt,     // overlay with a `clean` snapshot (student data): define the
              // domain over it (again) and re-register the snapshot; also how
              // a changed memory or vCPU count reaches a deployed VM
  kBuild,     // (re)create overlay, customize, define, snapshot
  kRefused,   // its overlay cannot be read: nothing is done to the VM (not
              // rebuilt over, not removed) and the deploy reports it failed
};
const char* ToString(VmAction action);
// Whether a worker has something to do for a VM with `action`.
bool NeedsWork(VmAction action);

struct VmPlan {
  std::string vm;           // the lab's VM name
  std::string domain;
  std::string overlay;
  std::string base;         // absolute path of the base image
  std::string base_format;
  VmAction action = VmAction::kBuild;
  // A domain exists and goes first: without `clean` (kBuild), or defined
  // from an older lab (kAdopt). Never a running one.
  bool remove_stale_domain = false;
  std::string change;  // why an existing VM is re-defined or left, in words
                       // (for kRefused: why its overlay cannot be used)
  guest::GuestEdit edit;
  virt::DomainSpec spec;
};

// A VM of a deployed World that the lab no longer has.
struct DroppedVm {
  std::string vm;
  std::string domain;
  std::string overlay;
  bool domain_exists = false;
  bool overlay_exists = false;
  bool student_data = false;  // its overlay has `clean`: it was handed out
  std::string unreadable;     // why its overlay cannot be read ("" if it can):
                              // then taken as student data
  bool remove = false;        // no student data, or --delete-student-data
};

struct WorldPlan {
  core::World world;
  // The lab host it lives on (a HostRecord's name; "": the `connect`
  // setting's host). Not sent to workers: a worker runs on that host.
  std::string host;
  std::vector<virt::NetworkSpec> networks;  // all of the World's networks
  std::vector<VmPlan> vms;
  std::vector<DroppedVm> dropped;
  // Its networks are made even when none of its VMs needs work: a drain
  // moves its running VMs there live, onto them. Not sent to workers.
  bool make_networks = false;

  int CountAction(VmAction action) const;
};

struct Plan {
  std::string lab;
  std::vector<WorldPlan> worlds;
  // The lab's cpu-limit (core::CpuLimit) in percent, 0 when it has none;
  // not applied (no partition to limit) when cpu-partitions is none.
  int cpu_limit_percent = 0;
  bool cpu_limit_applied = false;

  int TotalVms() const;
  int CountAction(VmAction action) const;
  int CountDropped(bool remove) const;
  bool NothingToDo() const;  // every VM up to date, nothing to remove
};

struct PlanOptions {
  std::string state_dir;
  std::string accel = "qemu";
  bool delete_student_data = false;  // dropped VMs go even with student data
  // What each lab image (by name) holds (InspectLabImages); an image not
  // here is customized as a guest with no udev (NICs eth0, eth1, ...).
  std::map<std::string, guest::OsInfo> images;
  bool cpu_partitions = true;  // each World's domains in core::WorldPartition
};

// The desired state alone: every VM planned as kBuild. Pure; for --dry-run
// on a host without libvirt and for tests.
Plan DesiredPlan(const core::Lab& lab, const std::vector<core::World>& worlds,
                 const PlanOptions& options);

// Looks at what exists (domains, snapshots, overlays, sizes; ClassifyVm)
// and sets each VM's action so that executing the plan converges to the
// desired state. A VM whose overlay cannot be read is kRefused.
void ReconcileWithActual(Plan& plan, virt::Hypervisor& hypervisor, Disks& disks);

// Adds to each World the VMs it has (recorded for its owner in `recorded`,
// or an overlay in its directory) that the lab no longer names, marking
// for removal those without student data, or all with
// options.delete_student_data.
// An overlay that cannot be read counts as student data.
void FindDroppedVms(Plan& plan, const std::vector<store::VmRecord>& recorded,
                    const PlanOptions& options, virt::Hypervisor& hypervisor, Disks& disks);

// The lab's cpu-limit as the plan applies it ("Each World's VMs together
// may use at most 1.5 CPUs of the host (cpu-limit)"), or why it is not
// applied; empty when the lab has none.
std::string DescribeCpuLimit(const Plan& plan);

// Human-readable plan for --dry-run: one line per World and VM.
std::string DescribePlan(const Plan& plan);

}  // namespace deploy

// The plan: what a deploy of one lab to some Worlds must do, from the
// desired state (lab × roster) and the actual state (libvirt, disks).
#pragma once

#include <string>
#include <vector>

#include "core/lab.h"
#include "guest/customizer.h"
#include "virt/hypervisor.h"

namespace deploy {

// What one VM needs. Every VM that is not complete is redone from its
// overlay on: an overlay with no `clean` snapshot was never booted, so it
// holds no student data and may be recreated.
enum class VmAction {
  kNothing,   // domain, overlay and `clean` snapshot all present
  kAdopt,     // overlay with a `clean` snapshot kept (student data): define
              // the domain over it again and re-register the snapshot
  kBuild,     // (re)create overlay, customize, define, snapshot
};
const char* ToString(VmAction action);

struct VmPlan {
  std::string vm;           // the lab's VM name
  std::string domain;
  std::string overlay;
  std::string base;         // absolute path of the base image
  std::string base_format;
  VmAction action = VmAction::kBuild;
  bool remove_stale_domain = false;  // a domain without `clean` exists
  guest::GuestEdit edit;
  virt::DomainSpec spec;
};

struct WorldPlan {
  core::World world;
  std::vector<virt::NetworkSpec> networks;  // all of the World's networks
  std::vector<VmPlan> vms;

  int CountAction(VmAction action) const;
};

struct Plan {
  std::string lab;
  std::vector<WorldPlan> worlds;

  int TotalVms() const;
  int CountAction(VmAction action) const;
  bool NothingToDo() const;
};

struct PlanOptions {
  std::string state_dir;
  std::string accel = "qemu";
};

// The desired state alone: every VM planned as kBuild. Pure; for --dry-run
// on a host without libvirt and for tests.
Plan DesiredPlan(const core::Lab& lab, const std::vector<core::World>& worlds,
                 const PlanOptions& options);

// Looks at what exists (domains, snapshots, overlays) and sets each VM's
// action so that executing the plan converges to the desired state.
void ReconcileWithActual(Plan& plan, virt::Hypervisor& hypervisor);

// Human-readable plan for --dry-run: one line per World and VM.
std::string DescribePlan(const Plan& plan);

}  // namespace deploy

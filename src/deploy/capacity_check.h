// The host's capacity for a deploy plan (capacity/plan_fit.h), read through
// the deploy's seams: the hypervisor's Host() and Usage(""), the disks'
// sizes and the state dir's free space. `worlds deploy --dry-run` prints
// it; a deploy checks it before it changes anything and sums it up after.
#pragma once

#include <string>

#include "capacity/plan_fit.h"
#include "deploy/env.h"
#include "deploy/plan.h"

namespace deploy {

// The plan's VMs as the check counts them, World by World in the plan's
// order: each with its memory and vCPUs as the lab defines them, its base's
// virtual size and what its overlay holds (each base read once); the VMs
// the plan removes (dropped, to remove) are in `leaving`.
capacity::LabDemand DemandOf(const Plan& plan, Disks& disks);

// The host's fit for the plan (DemandOf): the VMs the plan removes are not
// counted anywhere.
// Deploy checks the desired plan before it takes the lock or opens the
// store, so there a dropped VM that runs still counts (it is removed later):
// the dry run, which has the dropped VMs, can only be the more lenient of
// the two, and only while such a VM runs.
// `hypervisor` null: libvirt was not reached, only the lab and the disk are
// shown. Throws core::Error when the host or a disk cannot be read.
capacity::Fit CheckCapacity(const Plan& plan, const capacity::PlanPolicy& policy,
                            virt::Hypervisor* hypervisor, Disks& disks,
                            const std::string& state_dir);

// Throws core::Error (where: the lab; fix: capacity::RefusalFix()) naming
// every refusable shortfall when `fit` is refused; returns otherwise.
void RefuseIfShort(const capacity::Fit& fit, const std::string& lab);

}  // namespace deploy

#include "deploy/capacity_check.h"

#include <map>

#include "core/error.h"

namespace deploy {

capacity::LabDemand DemandOf(const Plan& plan, Disks& disks) {
  capacity::LabDemand lab;
  lab.lab = plan.lab;
  std::map<std::string, uint64_t> base_virtual;  // each base read once
  for (const WorldPlan& world : plan.worlds) {
    std::vector<capacity::VmDemand> vms;
    for (const VmPlan& vm : world.vms) {
      auto base = base_virtual.find(vm.base);
      if (base == base_virtual.end()) {
        // A missing base is CheckBaseImages' to report, with its fix.
        bool exists = disks.Exists(vm.base);
        base = base_virtual.emplace(vm.base, exists ? disks.VirtualBytes(vm.base) : 0).first;
        if (exists) lab.base_bytes += disks.AllocatedBytes(vm.base);
      }
      vms.push_back({vm.domain, vm.spec.memory_mib, vm.spec.vcpus, base->second,
                     disks.AllocatedBytes(vm.overlay)});
    }
    lab.worlds.push_back(std::move(vms));
    for (const DroppedVm& vm : world.dropped) {
      if (vm.remove) lab.leaving.insert(vm.domain);
    }
  }
  return lab;
}

capacity::Fit CheckCapacity(const Plan& plan, const capacity::PlanPolicy& policy,
                            virt::Hypervisor* hypervisor, Disks& disks,
                            const std::string& state_dir) {
  capacity::LabDemand lab = DemandOf(plan, disks);
  capacity::HostSupply supply;
  supply.state_dir = state_dir;
  supply.state_free_bytes = disks.FreeBytes(state_dir);
  if (hypervisor) {
    supply.host = hypervisor->Host();
    supply.domains = hypervisor->Usage("");
  }
  return capacity::FitPlan(policy, lab, supply);
}

void RefuseIfShort(const capacity::Fit& fit, const std::string& lab) {
  if (!fit.Refused()) return;
  std::string what;
  for (const capacity::Shortfall& s : fit.shortfalls) {
    if (!s.refusable) continue;
    what += (what.empty() ? "" : "; ") + s.message;
  }
  throw core::Error("the lab does not fit this host (capacity-check = refuse), nothing was "
                    "changed: " + what,
                    "lab " + lab, capacity::RefusalFix());
}

}  // namespace deploy

// What an admin watches while the class works (`worlds top`): the host's
// memory committed against the budget every start is admitted against, and
// per lab the Worlds, the VMs running, their memory and vCPUs, and who is on
// a console. Built from what the store recorded and one read of the host;
// a pure function, so the view is tested with fakes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capacity/budget.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

struct LabView {
  std::string lab;
  int worlds = 0;
  int vms = 0;
  int running = 0;
  int64_t memory_mib = 0;  // of its running VMs
  int vcpus = 0;
  // "user on vm (owner)" for each console session, in domain order.
  std::vector<std::string> consoles;
};

struct HostView {
  virt::HostInfo host;
  int64_t budget_mib = 0;
  std::string budget;  // capacity::DescribeBudget
  capacity::Committed committed;        // every domain not shut off
  capacity::Committed others;           // of them, those Worlds did not deploy
  std::vector<LabView> labs;            // in name order
  // Whether `consoles` came from the broker; false: who is on a console is
  // unknown (no broker, or it could not be asked).
  bool consoles_known = false;
};

// `vms`: every VM the store recorded; `domains`: Hypervisor::Usage("");
// `consoles`: domain -> user on its console (the broker's list as admin).
HostView BuildHostView(const std::vector<store::VmRecord>& vms,
                       const std::vector<virt::DomainUsage>& domains,
                       const virt::HostInfo& host, const capacity::Policy& policy,
                       const std::optional<std::map<std::string, std::string>>& consoles);

}  // namespace deploy

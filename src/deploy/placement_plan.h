// Where a deploy's Worlds go when the state has an inventory of lab hosts
// (issue 14): the plan's demand (DemandOf) placed by hosts::Place over what
// each host reports now. `deploy --dry-run` prints it; deploying on the
// hosts themselves is not built yet, so a deploy with an inventory is
// refused before it changes anything (RefuseInventory).
#pragma once

#include <string>
#include <vector>

#include "capacity/plan_fit.h"
#include "deploy/env.h"
#include "deploy/plan.h"
#include "hosts/inventory.h"
#include "hosts/placement.h"
#include "store/store.h"

namespace deploy {

struct HostsPlan {
  std::vector<hosts::HostCapacity> hosts;  // the inventory's, by name
  std::vector<std::string> owners;         // of the placed Worlds, in plan order
  hosts::Placement placement;              // host_of[i] is owners[i]'s
  // Worlds deployed before the inventory existed: they stay on the
  // `connect` host and are not placed.
  std::vector<std::string> on_connect_host;
};

// `recorded`: the lab's Worlds as the store has them (their hosts). A host
// whose storage dir is on this machine (qemu:///system) has its free space
// read through `disks`; a remote one's is not known yet.
HostsPlan PlaceWorlds(const Plan& plan, const std::vector<store::HostRecord>& inventory,
                      const std::vector<store::WorldRecord>& recorded,
                      const hosts::Connector& connect, Disks& disks,
                      const capacity::PlanPolicy& policy);

// The dry run's text: the placement table, and the Worlds left on the
// connect host. Ends in '\n'.
std::string DescribeHostsPlan(const HostsPlan& plan, const std::string& connect);

// Throws core::Error when `inventory` is not empty: a deploy across lab
// hosts is not built yet, and deploying everything to the connect host
// would ignore what the admin asked for.
void RefuseInventory(const std::vector<store::HostRecord>& inventory, const std::string& lab);

}  // namespace deploy

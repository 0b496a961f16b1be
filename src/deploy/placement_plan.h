// Where a deploy's Worlds go when the state has an inventory of lab hosts
// (issue 14): the plan's demand (DemandOf) placed by hosts::Place over what
// each host reports now. `deploy --dry-run` prints it; a deploy builds
// each World on the host it gets.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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

// The free space of a host's storage dir (Disks::FreeBytes there); nullopt
// when it is not known. May throw core::Error (then: not known).
using FreeSpace = std::function<std::optional<uint64_t>(const store::HostRecord& host)>;

// Each host's storage dir's free space, read on that host through
// env.reach_host (its connection's ssh log under `log_dir`; "": ours).
// `env` must outlive the result.
FreeSpace HostFreeSpace(const Env& env, const std::string& log_dir);

// What each lab host reports now (hosts::ReadHost).
using HostReader = std::function<hosts::HostReading(const store::HostRecord& host)>;

// Reads each host when asked, through a connection `connect` opens for it
// and `free_bytes` (whose errors are: not known).
HostReader ReadEachHost(hosts::Connector connect, FreeSpace free_bytes);

// `recorded`: the lab's Worlds as the store has them (their hosts).
// `disks`: this machine's, for the sizes of the lab's base images.
HostsPlan PlaceWorlds(const Plan& plan, const std::vector<store::HostRecord>& inventory,
                      const std::vector<store::WorldRecord>& recorded, const HostReader& read,
                      Disks& disks, const capacity::PlanPolicy& policy);

// The dry run's text: the placement table, and the Worlds left on the
// connect host. Ends in '\n'.
std::string DescribeHostsPlan(const HostsPlan& plan, const std::string& connect);

}  // namespace deploy

#include "deploy/placement_plan.h"

#include <map>
#include <set>

#include "core/error.h"
#include "deploy/capacity_check.h"

namespace deploy {

FreeSpace HostFreeSpace(const Env& env, const std::string& log_dir) {
  return [&env, log_dir](const store::HostRecord& host) -> std::optional<uint64_t> {
    if (env.reach_host) {
      return env.reach_host(host.uri, log_dir).disks->FreeBytes(host.storage_dir);
    }
    if (hosts::IsLocalUri(host.uri)) return env.disks->FreeBytes(host.storage_dir);
    return std::nullopt;
  };
}

HostReader ReadEachHost(hosts::Connector connect, FreeSpace free_bytes) {
  return [connect = std::move(connect),
          free_bytes = std::move(free_bytes)](const store::HostRecord& host) {
    return hosts::ReadHost(host, connect,
                           [&](const std::string&) { return free_bytes(host); });
  };
}

HostsPlan PlaceWorlds(const Plan& plan, const std::vector<store::HostRecord>& inventory,
                      const std::vector<store::WorldRecord>& recorded, const HostReader& read,
                      Disks& disks, const capacity::PlanPolicy& policy) {
  std::map<std::string, std::string> host_of;  // owner -> recorded host
  for (const store::WorldRecord& world : recorded) host_of[world.owner] = world.host;
  std::set<std::string> lab_domains;
  for (const WorldPlan& world : plan.worlds) {
    for (const VmPlan& vm : world.vms) lab_domains.insert(vm.domain);
  }

  HostsPlan out;
  for (const store::HostRecord& host : inventory) {
    out.hosts.push_back(hosts::CapacityOf(host, read(host), policy.budget, lab_domains));
  }

  capacity::LabDemand demand = DemandOf(plan, disks);
  std::vector<hosts::WorldDemand> worlds;
  for (size_t w = 0; w < plan.worlds.size(); ++w) {
    const std::string& owner = plan.worlds[w].world.owner;
    auto recorded_host = host_of.find(owner);
    if (recorded_host != host_of.end() && recorded_host->second.empty()) {
      out.on_connect_host.push_back(owner);
      continue;
    }
    std::string host = recorded_host == host_of.end() ? "" : recorded_host->second;
    worlds.push_back(hosts::DemandOf(owner, demand.worlds[w], policy, host));
    out.owners.push_back(owner);
  }
  out.placement = hosts::Place(out.hosts, worlds, policy.expected_percent);
  return out;
}

std::string DescribeHostsPlan(const HostsPlan& plan, const std::string& connect) {
  std::string text = hosts::DescribePlacement(plan.hosts, plan.placement, plan.owners);
  if (!plan.on_connect_host.empty()) {
    text += "Kept on the connect host (" + connect + "), deployed before the inventory:";
    for (const std::string& owner : plan.on_connect_host) text += " " + owner;
    text += "\n";
  }
  return text;
}

}  // namespace deploy

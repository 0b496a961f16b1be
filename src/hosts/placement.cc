#include "hosts/placement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>

#include "capacity/plan_fit.h"
#include "core/error.h"

namespace hosts {

namespace {

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string Mib(int64_t mib) { return std::to_string(mib) + " MiB"; }

// The memory or vCPUs of a host's Worlds of this lab, largest first, with
// prefix sums: what expected-running counts (the sum of the largest few)
// is then one lookup, with or without one more World, so placing W Worlds
// costs O(W × hosts × log W) checks and O(W²/hosts) inserts.
class Largest {
 public:
  void Insert(int64_t value) {
    auto at = std::upper_bound(desc_.begin(), desc_.end(), value, std::greater<int64_t>());
    size_t index = static_cast<size_t>(at - desc_.begin());
    desc_.insert(at, value);
    prefix_.resize(desc_.size() + 1);
    for (size_t i = index; i < desc_.size(); ++i) prefix_[i + 1] = prefix_[i] + desc_[i];
  }
  // The sum of the `count` largest.
  int64_t Top(int count) const {
    return prefix_[std::min(static_cast<size_t>(std::max(count, 0)), desc_.size())];
  }
  // The sum of the `count` largest were `extra` among them.
  int64_t TopWith(int count, int64_t extra) const {
    if (count <= 0) return 0;
    size_t j = static_cast<size_t>(
        std::upper_bound(desc_.begin(), desc_.end(), extra, std::greater<int64_t>()) -
        desc_.begin());
    if (static_cast<size_t>(count) <= j) return Top(count);
    return Top(count - 1) + extra;
  }
  int size() const { return static_cast<int>(desc_.size()); }

 private:
  std::vector<int64_t> desc_;
  std::vector<int64_t> prefix_ = {0};
};

struct Tally {
  Largest memory, vcpus;
};

// Recomputes `load`'s figures from its Worlds and the host's others.
void Settle(HostLoad& load, const Tally& tally, const HostCapacity& host,
            double expected_percent) {
  int count = capacity::ExpectedWorlds(tally.memory.size(), expected_percent);
  load.memory_mib = host.memory_others_mib + tally.memory.Top(count);
  load.vcpus = host.vcpus_others + static_cast<int>(tally.vcpus.Top(count));
}

// The host's memory with `world` added, as it would be committed.
int64_t MemoryWith(const Tally& tally, const HostCapacity& host, const WorldDemand& world,
                   double expected_percent) {
  int count = capacity::ExpectedWorlds(tally.memory.size() + 1, expected_percent);
  return host.memory_others_mib + tally.memory.TopWith(count, world.memory_mib);
}

// Why `host` cannot take `world` now, or "" when it can.
std::string Lacks(const HostCapacity& host, const HostLoad& load, const Tally& tally,
                  const WorldDemand& world, double expected_percent) {
  if (!host.unreachable.empty()) return "unreachable (" + host.unreachable + ")";
  if (host.draining) return "draining";
  int64_t after = MemoryWith(tally, host, world, expected_percent);
  if (after > host.memory_budget_mib) {
    return Mib(std::max<int64_t>(host.memory_budget_mib - load.memory_mib, 0)) +
           " of memory left, " + Mib(after - load.memory_mib) + " needed";
  }
  if (host.disk_free_bytes && load.disk_bytes + world.disk_bytes > *host.disk_free_bytes) {
    uint64_t free = *host.disk_free_bytes - std::min(load.disk_bytes, *host.disk_free_bytes);
    return capacity::DescribeBytes(free) + " of disk left, " +
           capacity::DescribeBytes(world.disk_bytes) + " needed";
  }
  return "";
}

void Add(HostLoad& load, Tally& tally, const HostCapacity& host, const WorldDemand& world,
         double expected_percent, bool is_new) {
  ++load.worlds;
  if (is_new) ++load.new_worlds;
  tally.memory.Insert(world.memory_mib);
  tally.vcpus.Insert(world.vcpus);
  load.disk_bytes += world.disk_bytes;
  Settle(load, tally, host, expected_percent);
}

}  // namespace

HostReading ReadHost(const store::HostRecord& host, virt::Hypervisor& hypervisor,
                     const FreeBytes& free_bytes) {
  HostReading reading;
  try {
    reading.info = hypervisor.Host();
    reading.domains = hypervisor.Usage("");
  } catch (const core::Error& e) {
    reading.unreachable = e.Describe();
    return reading;
  }
  try {
    reading.free_bytes = free_bytes(host.storage_dir);
  } catch (const core::Error&) {
    // Not known: then disk is not a reason to refuse, and the table says so.
  }
  return reading;
}

HostReading ReadHost(const store::HostRecord& host, const Connector& connect,
                     const FreeBytes& free_bytes) {
  std::unique_ptr<virt::Hypervisor> hypervisor;
  try {
    hypervisor = connect(host.uri);
  } catch (const core::Error& e) {
    HostReading reading;
    reading.unreachable = e.Describe();
    return reading;
  }
  return ReadHost(host, *hypervisor, free_bytes);
}

HostCapacity CapacityOf(const store::HostRecord& host, const HostReading& reading,
                        const capacity::Policy& budget, const std::set<std::string>& lab_domains) {
  HostCapacity capacity;
  capacity.name = host.name;
  capacity.draining = host.draining;
  capacity.unreachable = reading.unreachable;
  if (!reading.unreachable.empty()) return capacity;
  capacity.memory_budget_mib =
      host.memory_mib ? *host.memory_mib : capacity::BudgetMib(budget, reading.info);
  capacity.cpus = host.vcpus ? static_cast<int>(*host.vcpus) : reading.info.cpus;
  std::vector<virt::DomainUsage> others;
  for (const virt::DomainUsage& domain : reading.domains) {
    if (!lab_domains.count(domain.name)) others.push_back(domain);
  }
  capacity::Committed committed = capacity::Sum(others);
  capacity.memory_others_mib = committed.memory_mib;
  capacity.vcpus_others = committed.vcpus;
  if (reading.free_bytes) {
    uint64_t keep = static_cast<uint64_t>(host.keep_free_mib) * 1024 * 1024;
    capacity.disk_free_bytes = *reading.free_bytes > keep ? *reading.free_bytes - keep : 0;
  }
  return capacity;
}

WorldDemand DemandOf(const std::string& owner, const std::vector<capacity::VmDemand>& vms,
                     const capacity::PlanPolicy& policy, const std::string& host) {
  WorldDemand world;
  world.owner = owner;
  world.host = host;
  for (const capacity::VmDemand& vm : vms) {
    world.memory_mib += vm.memory_mib;
    world.vcpus += vm.vcpus;
    world.disk_bytes += capacity::GrowthBytes(policy, vm);
  }
  return world;
}

Placement Place(const std::vector<HostCapacity>& hosts, const std::vector<WorldDemand>& worlds,
                double expected_percent) {
  Placement placement;
  placement.host_of.resize(worlds.size());
  std::vector<Tally> tallies(hosts.size());
  for (size_t h = 0; h < hosts.size(); ++h) {
    HostLoad load;
    load.name = hosts[h].name;
    Settle(load, tallies[h], hosts[h], expected_percent);
    placement.hosts.push_back(load);
  }
  auto index_of = [&](const std::string& name) -> int {
    for (size_t h = 0; h < hosts.size(); ++h) {
      if (hosts[h].name == name) return static_cast<int>(h);
    }
    return -1;
  };

  // 1. Kept Worlds first: they hold their hosts' room before any new one.
  for (size_t w = 0; w < worlds.size(); ++w) {
    if (worlds[w].host.empty()) continue;
    int h = index_of(worlds[w].host);
    if (h < 0) {
      placement.refused.push_back("the World of '" + worlds[w].owner + "' lives on host '" +
                                  worlds[w].host +
                                  "', which is not in the inventory: add it back "
                                  "(worlds host add) or destroy that World");
      continue;
    }
    placement.host_of[w] = hosts[h].name;
    Add(placement.hosts[h], tallies[h], hosts[h], worlds[w], expected_percent,
        /*is_new=*/false);
  }

  // 2. New Worlds, in order, to the host left with the most headroom.
  for (size_t w = 0; w < worlds.size(); ++w) {
    if (!worlds[w].host.empty()) continue;
    int best = -1;
    double best_headroom = 0;
    std::vector<std::string> why;
    for (size_t h = 0; h < hosts.size(); ++h) {
      std::string lacks =
          Lacks(hosts[h], placement.hosts[h], tallies[h], worlds[w], expected_percent);
      if (!lacks.empty()) {
        why.push_back(hosts[h].name + ": " + lacks);
        continue;
      }
      double budget = static_cast<double>(hosts[h].memory_budget_mib);
      double after =
          static_cast<double>(MemoryWith(tallies[h], hosts[h], worlds[w], expected_percent));
      double headroom = budget > 0 ? (budget - after) / budget : 0;
      if (best < 0 || headroom > best_headroom + 1e-12) {
        best = static_cast<int>(h);
        best_headroom = headroom;
      }
    }
    if (best < 0) {
      std::string line = "the World of '" + worlds[w].owner + "' (" +
                         Mib(worlds[w].memory_mib) + " of memory, " +
                         capacity::DescribeBytes(worlds[w].disk_bytes) +
                         " of disk) fits no host";
      if (hosts.empty()) line += ": the inventory has no host";
      for (size_t k = 0; k < why.size(); ++k) line += (k == 0 ? ": " : "; ") + why[k];
      placement.refused.push_back(line);
      continue;
    }
    placement.host_of[w] = hosts[best].name;
    Add(placement.hosts[best], tallies[best], hosts[best], worlds[w], expected_percent,
        /*is_new=*/true);
  }

  for (size_t h = 0; h < hosts.size(); ++h) {
    const HostLoad& load = placement.hosts[h];
    if (load.worlds > 0 && hosts[h].cpus > 0 && load.vcpus > hosts[h].cpus) {
      placement.warnings.push_back(
          hosts[h].name + ": " + std::to_string(load.vcpus) + " vCPUs on " +
          std::to_string(hosts[h].cpus) + " CPUs (" +
          Fixed(static_cast<double>(load.vcpus) / hosts[h].cpus, 1) +
          "×) at expected-running; vCPUs are time-shared, so the guests run slower when all "
          "are busy");
    }
  }
  return placement;
}

std::string DescribePlacement(const std::vector<HostCapacity>& hosts, const Placement& placement,
                              const std::vector<std::string>& owners) {
  std::ostringstream out;
  out << "Placement (a World lives whole on one host):\n";
  for (size_t h = 0; h < hosts.size() && h < placement.hosts.size(); ++h) {
    const HostCapacity& host = hosts[h];
    const HostLoad& load = placement.hosts[h];
    std::string here;  // the owners of its Worlds
    for (size_t w = 0; w < owners.size() && w < placement.host_of.size(); ++w) {
      if (placement.host_of[w] == host.name) here += " " + owners[w];
    }
    out << "  " << host.name << ": ";
    if (!host.unreachable.empty()) {
      out << "unreachable (" << host.unreachable << ")";
      if (load.worlds > 0) out << "; " << load.worlds << " World(s) of this lab live there";
      out << "\n";
      if (!here.empty()) out << "   " << here << "\n";
      continue;
    }
    out << load.worlds << " World(s)";
    if (load.worlds > 0) out << " (" << load.new_worlds << " new)";
    out << ", memory " << Mib(load.memory_mib) << " of " << Mib(host.memory_budget_mib)
        << ", vCPUs " << load.vcpus << " on " << host.cpus << " CPUs, disk ";
    if (host.disk_free_bytes) {
      out << capacity::DescribeBytes(load.disk_bytes) << " of "
          << capacity::DescribeBytes(*host.disk_free_bytes) << " free";
    } else {
      out << capacity::DescribeBytes(load.disk_bytes) << " (free space not known)";
    }
    if (host.draining) out << "; draining: no new World";
    out << "\n";
    if (!here.empty()) out << "   " << here << "\n";
  }
  for (const std::string& line : placement.refused) out << "refused: " << line << "\n";
  for (const std::string& line : placement.warnings) out << "warning: " << line << "\n";
  return out.str();
}

}  // namespace hosts

// tools/bench-placement: the time to plan a deploy and place its Worlds on
// the lab hosts, with fakes (no libvirt, no disks): the desired plan
// (deploy::DesiredPlan), each World's demand (deploy::DemandOf,
// hosts::DemandOf) and the placement (hosts::Place). The bound is
// 1,000 Worlds over 10 hosts in under 1 s; 100 and 1,000 Worlds run side by
// side so the ratio shows whether the work grows linearly.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/lab.h"
#include "deploy/capacity_check.h"
#include "deploy/plan.h"
#include "fakes/fake_disks.h"
#include "hosts/placement.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The sample lab's shape: three 1 GiB VMs on one network.
core::Lab ThreeVmLab() {
  core::Lab lab;
  lab.name = "benchlab";
  core::BaseImage image;
  image.name = "debian";
  image.path = "/images/debian.qcow2";
  lab.images.push_back(image);
  core::LabNetwork lan;
  lan.name = "lan";
  lan.cidr = "10.10.0.0/24";
  lan.prefix = 24;
  lab.networks.push_back(lan);
  int host = 1;
  for (const char* name : {"router", "web", "desk"}) {
    core::LabVm vm;
    vm.name = name;
    vm.image = "debian";
    vm.memory_mib = 1024;
    vm.vcpus = 1;
    vm.hostname_pattern = "{vm}-{owner}";
    vm.nics.push_back({"lan", "10.10.0." + std::to_string(host++), {}});
    vm.commands = {"echo {owner} > /etc/motd"};
    lab.vms.push_back(vm);
  }
  return lab;
}

struct Figures {
  double plan = 0, demand = 0, place = 0;
  int placed = 0;
  double Total() const { return plan + demand + place; }
};

Figures Run(int world_count, int host_count) {
  core::Lab lab = ThreeVmLab();
  std::vector<core::World> worlds;
  for (int i = 0; i < world_count; ++i) {
    worlds.push_back({lab.name, "student" + std::to_string(i), i + 1});
  }
  std::vector<hosts::HostCapacity> hosts;
  for (int h = 0; h < host_count; ++h) {
    hosts::HostCapacity host;
    host.name = "lab" + std::to_string(h + 1);
    host.memory_budget_mib = 460 * 1024;  // 90% of a 512 GiB host
    host.cpus = 64;
    host.disk_free_bytes = 4ull << 40;
    hosts.push_back(host);
  }
  fakes::FakeDisks disks;
  disks.virtual_bytes = 8ull << 30;
  capacity::PlanPolicy policy;

  Figures f;
  deploy::PlanOptions options;
  options.state_dir = "/var/lib/worlds";
  options.accel = "kvm";
  Clock::time_point start = Clock::now();
  deploy::Plan plan = deploy::DesiredPlan(lab, worlds, options);
  f.plan = Seconds(start);
  start = Clock::now();
  capacity::LabDemand demand = deploy::DemandOf(plan, disks);
  std::vector<hosts::WorldDemand> demands;
  for (size_t w = 0; w < plan.worlds.size(); ++w) {
    demands.push_back(hosts::DemandOf(plan.worlds[w].world.owner, demand.worlds[w], policy, ""));
  }
  f.demand = Seconds(start);
  start = Clock::now();
  hosts::Placement placement = hosts::Place(hosts, demands, policy.expected_percent);
  f.place = Seconds(start);
  for (const std::string& host : placement.host_of) f.placed += host.empty() ? 0 : 1;
  return f;
}

}  // namespace

int main() {
  Run(10, 10);  // warm-up: first allocations, page faults
  Figures small = Run(100, 10);
  Figures large = Run(1000, 10);
  std::printf("%-22s %10s %10s %10s %10s %8s\n", "Worlds x hosts", "plan ms", "demand ms",
              "place ms", "total ms", "placed");
  for (const auto& [name, f] : {std::pair{"100 x 10", small}, std::pair{"1000 x 10", large}}) {
    std::printf("%-22s %10.2f %10.2f %10.2f %10.2f %8d\n", name, f.plan * 1e3, f.demand * 1e3,
                f.place * 1e3, f.Total() * 1e3, f.placed);
  }
  std::printf("1000 Worlds / 100 Worlds: %.1f× the time for 10× the Worlds\n",
              large.Total() / small.Total());
  std::printf("1000 Worlds over 10 hosts: %.4f of the 1 s bound\n", large.Total() / 1.0);
  return large.placed == 1000 && large.Total() < 1.0 ? 0 : 1;
}

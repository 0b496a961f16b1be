#include "deploy/plan.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/vm_state.h"

namespace deploy {

const char* ToString(VmAction action) {
  switch (action) {
    case VmAction::kNothing: return "up to date";
    case VmAction::kAdopt: return "re-define over its kept overlay";
    case VmAction::kBuild: return "build";
    case VmAction::kRefused: return "left alone, its overlay cannot be read";
  }
  return "?";
}

bool NeedsWork(VmAction action) {
  return action == VmAction::kAdopt || action == VmAction::kBuild;
}

int WorldPlan::CountAction(VmAction action) const {
  int n = 0;
  for (const VmPlan& vm : vms) n += vm.action == action;
  return n;
}

int Plan::TotalVms() const {
  int n = 0;
  for (const WorldPlan& world : worlds) n += static_cast<int>(world.vms.size());
  return n;
}

int Plan::CountAction(VmAction action) const {
  int n = 0;
  for (const WorldPlan& world : worlds) n += world.CountAction(action);
  return n;
}

int Plan::CountDropped(bool remove) const {
  int n = 0;
  for (const WorldPlan& world : worlds) {
    for (const DroppedVm& vm : world.dropped) n += vm.remove == remove;
  }
  return n;
}

bool Plan::NothingToDo() const {
  return CountAction(VmAction::kNothing) == TotalVms() && CountDropped(true) == 0;
}

namespace {

std::string Expand(const std::string& pattern,
                   const std::map<std::string, std::string>& vars,
                   const std::string& where) {
  std::string unknown;
  std::optional<std::string> out = core::ExpandPattern(pattern, vars, &unknown);
  if (!out) {
    throw core::Error("unknown placeholder " + unknown + " in '" + pattern + "'",
                      where, "use {owner}, {vm}, {lab} or {index}");
  }
  return *out;
}

VmPlan PlanVm(const core::Lab& lab, const core::World& world,
              const core::LabVm& vm, const PlanOptions& options) {
  std::map<std::string, std::string> vars =
      config::PatternVars(lab, world, vm.name);
  const core::BaseImage* image = lab.FindImage(vm.image);
  if (!image) {
    throw core::Error("VM '" + vm.name + "' names unknown image '" + vm.image + "'",
                      vm.pos.ToString());
  }
  VmPlan plan;
  plan.vm = vm.name;
  plan.domain = core::DomainName(lab.name, world.owner, vm.name);
  plan.overlay = core::OverlayPath(options.state_dir, lab.name, world.owner, vm.name);
  plan.base = image->path;
  plan.base_format = image->format;

  plan.edit.disk_path = plan.overlay;
  auto os = options.images.find(vm.image);
  if (os != options.images.end()) plan.edit.os = os->second;
  plan.edit.hostname = Expand(vm.hostname_pattern, vars, vm.pos.ToString());
  std::vector<std::string> networks;
  for (const core::Nic& nic : vm.nics) networks.push_back(nic.network);
  const std::vector<std::string> names = guest::NicNames(plan.edit.os, networks);
  for (size_t i = 0; i < vm.nics.size(); ++i) {
    const core::Nic& nic = vm.nics[i];
    const core::LabNetwork* net = lab.FindNetwork(nic.network);
    if (!net) {
      throw core::Error("NIC names unknown network '" + nic.network + "'",
                        nic.pos.ToString());
    }
    guest::NicConfig config;
    config.interface = names[i];
    config.address = Expand(nic.ip_pattern, vars, nic.pos.ToString());
    config.prefix = net->prefix;
    config.mac = core::MacAddress(plan.domain, static_cast<int>(i));
    config.network = nic.network;
    config.gateway = nic.gateway;
    config.dns = nic.dns;
    plan.edit.nics.push_back(config);
  }
  plan.edit.commands = config::ExpandCommands(vm.commands, vars);

  virt::DomainSpec& spec = plan.spec;
  spec.name = plan.domain;
  spec.title = lab.name + " / " + world.owner + " / " + vm.name;
  spec.accel = options.accel;
  spec.memory_mib = vm.memory_mib;
  spec.vcpus = vm.vcpus;
  spec.disk_path = plan.overlay;
  spec.disk_format = "qcow2";
  for (size_t i = 0; i < vm.nics.size(); ++i) {
    spec.interfaces.push_back(
        {core::NetworkName(lab.name, world.owner, vm.nics[i].network),
         core::MacAddress(plan.domain, static_cast<int>(i))});
  }
  spec.kernel = image->kernel;
  spec.initrd = image->initrd;
  spec.cmdline = image->cmdline;
  spec.console_log =
      core::ConsoleLogPath(options.state_dir, lab.name, world.owner, vm.name);
  if (options.cpu_partitions) {
    spec.partition = core::WorldPartition(lab.name, world.owner);
    // Without a partition there is nothing to limit: DescribePlan says so.
    if (lab.cpu_limit) spec.cpu_limit_percent = lab.cpu_limit->percent;
  }
  return plan;
}

}  // namespace

Plan DesiredPlan(const core::Lab& lab, const std::vector<core::World>& worlds,
                 const PlanOptions& options) {
  Plan plan;
  plan.lab = lab.name;
  if (lab.cpu_limit) {
    plan.cpu_limit_percent = lab.cpu_limit->percent;
    plan.cpu_limit_applied = options.cpu_partitions;
  }
  for (const core::World& world : worlds) {
    WorldPlan world_plan;
    world_plan.world = world;
    for (const core::LabNetwork& net : lab.networks) {
      world_plan.networks.push_back(
          {core::NetworkName(lab.name, world.owner, net.name),
           core::BridgeName(lab.name, world.owner, net.name)});
    }
    for (const core::LabVm& vm : lab.vms) {
      world_plan.vms.push_back(PlanVm(lab, world, vm, options));
    }
    // Every VM of the World knows the others by hostname and lab name.
    std::vector<guest::HostEntry> hosts;
    for (const VmPlan& vm : world_plan.vms) {
      if (vm.edit.nics.empty()) continue;
      std::vector<std::string> names = {vm.edit.hostname};
      if (vm.vm != vm.edit.hostname) names.push_back(vm.vm);
      hosts.push_back({vm.edit.nics.front().address, names});
    }
    for (VmPlan& vm : world_plan.vms) vm.edit.hosts = hosts;
    plan.worlds.push_back(std::move(world_plan));
  }
  return plan;
}

namespace {

// 150 -> "1.5 CPUs", 100 -> "1 CPU", 0 -> "none".
std::string FormatCpuLimit(int percent) {
  if (percent <= 0) return "none";
  std::string text = std::to_string(percent / 100);
  if (int rest = percent % 100) {
    text += "." + std::string(rest < 10 ? "0" : "") + std::to_string(rest);
    if (text.back() == '0') text.pop_back();
  }
  return text + (percent == 100 ? " CPU" : " CPUs");
}

std::string DescribeResize(const virt::DomainSize& have, const virt::DomainSize& want) {
  std::string out;
  if (have.memory_mib != want.memory_mib) {
    out = "memory " + std::to_string(have.memory_mib) + " -> " +
          std::to_string(want.memory_mib) + " MiB";
  }
  if (have.vcpus != want.vcpus) {
    out += (out.empty() ? "" : ", ") + std::string("vCPUs ") + std::to_string(have.vcpus) +
           " -> " + std::to_string(want.vcpus);
  }
  if (have.partition != want.partition) {
    auto shown = [](const std::string& p) { return p.empty() ? std::string("/machine") : p; };
    out += (out.empty() ? "" : ", ") + std::string("partition ") + shown(have.partition) +
           " -> " + shown(want.partition);
  }
  if (have.cpu_limit_percent != want.cpu_limit_percent) {
    out += (out.empty() ? "" : ", ") + std::string("World CPU limit ") +
           FormatCpuLimit(have.cpu_limit_percent) + " -> " +
           FormatCpuLimit(want.cpu_limit_percent);
  }
  return out;
}

}  // namespace

void ReconcileWithActual(Plan& plan, virt::Hypervisor& hypervisor, Disks& disks) {
  // One listing instead of a lookup per VM keeps a re-run fast.
  std::vector<std::string> listed =
      hypervisor.ListDomains(core::LabObjectPrefix(plan.lab));
  std::set<std::string> domains(listed.begin(), listed.end());
  for (WorldPlan& world : plan.worlds) {
    for (VmPlan& vm : world.vms) {
      VmFacts facts =
          ClassifyVm(vm.domain, vm.overlay, hypervisor, disks, domains.count(vm.domain) > 0);
      switch (facts.condition) {
        case VmCondition::kReady: {
          vm.action = VmAction::kNothing;
          virt::DomainSize want{vm.spec.memory_mib, vm.spec.vcpus, vm.spec.partition,
                                vm.spec.cpu_limit_percent};
          virt::DomainSize have = hypervisor.Size(vm.domain);
          if (have == want) break;
          // The lab changed: a new definition over the same overlay keeps
          // the student's disk and `clean`; a running VM keeps its old size.
          vm.change = DescribeResize(have, want);
          if (hypervisor.State(vm.domain) != virt::DomainState::kShutOff) {
            vm.change += " waits: the VM is running; re-run deploy once it is shut off";
            break;
          }
          vm.action = VmAction::kAdopt;
          vm.remove_stale_domain = true;
          break;
        }
        case VmCondition::kKeptOverlay:
          vm.action = VmAction::kAdopt;
          vm.remove_stale_domain = facts.domain;
          break;
        case VmCondition::kIncomplete:
        case VmCondition::kMissing:
          vm.action = VmAction::kBuild;
          vm.remove_stale_domain = facts.domain;
          break;
        case VmCondition::kUnreadable:
          // Maybe the student's disk: neither rebuilt over nor removed.
          vm.action = VmAction::kRefused;
          vm.remove_stale_domain = false;
          vm.change = FixFor(facts, vm.overlay);
          break;
      }
    }
  }
}

void FindDroppedVms(Plan& plan, const std::vector<store::VmRecord>& recorded,
                    const PlanOptions& options, virt::Hypervisor& hypervisor, Disks& disks) {
  for (WorldPlan& world : plan.worlds) {
    std::set<std::string> wanted;
    for (const VmPlan& vm : world.vms) wanted.insert(vm.vm);
    std::set<std::string> had;
    for (const store::VmRecord& vm : recorded) {
      if (vm.lab == plan.lab && vm.owner == world.world.owner) had.insert(vm.vm);
    }
    std::string dir = core::OverlayDir(options.state_dir, plan.lab, world.world.owner);
    std::error_code ec;  // no directory: nothing kept there
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      // Only finished overlays (<vm>.qcow2), not a "<vm>.qcow2.tmp-<pid>".
      if (entry.path().extension() != ".qcow2") continue;
      std::string name = entry.path().stem().string();
      if (core::IsValidName(name)) had.insert(name);
    }
    for (const std::string& name : had) {
      if (wanted.count(name)) continue;
      DroppedVm vm;
      vm.vm = name;
      vm.domain = core::DomainName(plan.lab, world.world.owner, name);
      vm.overlay = core::OverlayPath(options.state_dir, plan.lab, world.world.owner, name);
      VmFacts facts = ClassifyVm(vm.domain, vm.overlay, hypervisor, disks);
      vm.domain_exists = facts.domain;
      vm.overlay_exists = facts.overlay;
      vm.unreadable = facts.unreadable;
      // A ready VM's overlay was not read: libvirt's `clean` says the same.
      vm.student_data = facts.condition == VmCondition::kReady || facts.overlay_clean ||
                        !facts.unreadable.empty();
      vm.remove = !vm.student_data || options.delete_student_data;
      world.dropped.push_back(std::move(vm));
    }
  }
}

std::string DescribeCpuLimit(const Plan& plan) {
  if (plan.cpu_limit_percent <= 0) return "";
  if (plan.cpu_limit_applied) {
    return "Each World's VMs together may use at most " + FormatCpuLimit(plan.cpu_limit_percent) +
           " of the host (cpu-limit)";
  }
  return "cpu-limit " + FormatCpuLimit(plan.cpu_limit_percent) +
         " is not applied: the cpu-partitions setting is none, so no World has a partition "
         "to limit";
}

std::string DescribePlan(const Plan& plan) {
  std::ostringstream out;
  out << "Plan for lab '" << plan.lab << "': " << plan.worlds.size()
      << " World(s), " << plan.TotalVms() << " VM(s), "
      << plan.CountAction(VmAction::kBuild) << " to build, "
      << plan.CountAction(VmAction::kAdopt) << " to re-define, "
      << plan.CountAction(VmAction::kNothing) << " up to date";
  if (int n = plan.CountAction(VmAction::kRefused)) {
    out << ", " << n << " left alone (overlay cannot be read)";
  }
  if (int n = plan.CountDropped(true) + plan.CountDropped(false)) {
    out << ", " << n << " no longer in the lab (" << plan.CountDropped(true)
        << " to remove, " << plan.CountDropped(false) << " kept)";
  }
  out << "\n";
  if (plan.cpu_limit_percent > 0) out << "  " << DescribeCpuLimit(plan) << "\n";
  for (const WorldPlan& world : plan.worlds) {
    out << "  World " << world.world.owner << " (#" << world.world.index << ")\n";
    for (const virt::NetworkSpec& net : world.networks) {
      out << "    network " << net.name << " (bridge " << net.bridge
          << ", isolated)\n";
    }
    for (const VmPlan& vm : world.vms) {
      out << "    " << vm.domain << ": " << ToString(vm.action);
      if (!vm.change.empty()) out << " (" << vm.change << ")";
      if (vm.action == VmAction::kBuild) {
        out << " (hostname " << vm.edit.hostname;
        if (!vm.edit.os.network_stack.empty()) out << ", " << vm.edit.os.network_stack;
        for (const guest::NicConfig& nic : vm.edit.nics) {
          out << ", " << nic.interface << " " << nic.address << "/" << nic.prefix;
          if (!nic.mac.empty()) out << " " << nic.mac;
        }
        out << ")";
      }
      out << "\n";
    }
    for (const DroppedVm& vm : world.dropped) {
      out << "    " << vm.domain << ": no longer in the lab, ";
      if (!vm.remove && !vm.unreadable.empty()) {
        out << "kept: its overlay cannot be read (" << vm.unreadable
            << "), it may hold student data (--delete-student-data removes it)";
      } else if (!vm.remove) {
        out << "kept: its overlay holds student data (--delete-student-data removes it)";
      } else if (vm.student_data) {
        out << "remove with its student data (--delete-student-data)";
      } else {
        out << "remove (no student data)";
      }
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace deploy

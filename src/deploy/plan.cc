#include "deploy/plan.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "image/overlay.h"

namespace deploy {

const char* ToString(VmAction action) {
  switch (action) {
    case VmAction::kNothing: return "up to date";
    case VmAction::kAdopt: return "re-define over kept overlay";
    case VmAction::kBuild: return "build";
  }
  return "?";
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

bool Plan::NothingToDo() const {
  return CountAction(VmAction::kNothing) == TotalVms();
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
  plan.edit.hostname = Expand(vm.hostname_pattern, vars, vm.pos.ToString());
  for (size_t i = 0; i < vm.nics.size(); ++i) {
    const core::Nic& nic = vm.nics[i];
    const core::LabNetwork* net = lab.FindNetwork(nic.network);
    if (!net) {
      throw core::Error("NIC names unknown network '" + nic.network + "'",
                        nic.pos.ToString());
    }
    guest::NicConfig config;
    config.interface = "eth" + std::to_string(i);
    config.address = Expand(nic.ip_pattern, vars, nic.pos.ToString());
    config.prefix = net->prefix;
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
  return plan;
}

}  // namespace

Plan DesiredPlan(const core::Lab& lab, const std::vector<core::World>& worlds,
                 const PlanOptions& options) {
  Plan plan;
  plan.lab = lab.name;
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
    plan.worlds.push_back(std::move(world_plan));
  }
  return plan;
}

void ReconcileWithActual(Plan& plan, virt::Hypervisor& hypervisor) {
  // One listing instead of a lookup per VM keeps a re-run fast.
  std::vector<std::string> listed = hypervisor.ListDomains("w-" + plan.lab + "-");
  std::set<std::string> domains(listed.begin(), listed.end());
  for (WorldPlan& world : plan.worlds) {
    for (VmPlan& vm : world.vms) {
      bool overlay = std::filesystem::exists(vm.overlay);
      bool domain = domains.count(vm.domain) > 0;
      if (domain && overlay &&
          hypervisor.HasSnapshot(vm.domain, core::kCleanSnapshot)) {
        vm.action = VmAction::kNothing;
        continue;
      }
      vm.remove_stale_domain = domain;
      vm.action = VmAction::kBuild;
      if (overlay && !domain) {
        // Kept by `destroy` (student data) if it carries the snapshot.
        image::ImageInfo info = image::Inspect(vm.overlay);
        for (const std::string& snap : info.snapshots) {
          if (snap == core::kCleanSnapshot) vm.action = VmAction::kAdopt;
        }
      }
    }
  }
}

std::string DescribePlan(const Plan& plan) {
  std::ostringstream out;
  out << "Plan for lab '" << plan.lab << "': " << plan.worlds.size()
      << " World(s), " << plan.TotalVms() << " VM(s), "
      << plan.CountAction(VmAction::kBuild) << " to build, "
      << plan.CountAction(VmAction::kAdopt) << " to re-define, "
      << plan.CountAction(VmAction::kNothing) << " up to date\n";
  for (const WorldPlan& world : plan.worlds) {
    out << "  World " << world.world.owner << " (#" << world.world.index << ")\n";
    for (const virt::NetworkSpec& net : world.networks) {
      out << "    network " << net.name << " (bridge " << net.bridge
          << ", isolated)\n";
    }
    for (const VmPlan& vm : world.vms) {
      out << "    " << vm.domain << ": " << ToString(vm.action);
      if (vm.action == VmAction::kBuild) {
        out << " (hostname " << vm.edit.hostname;
        for (const guest::NicConfig& nic : vm.edit.nics) {
          out << ", " << nic.interface << " " << nic.address << "/" << nic.prefix;
        }
        out << ")";
      }
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace deploy

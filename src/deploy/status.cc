#include "deploy/status.h"

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/names.h"
#include "deploy/operations.h"
#include "deploy/vm_state.h"

namespace deploy {

namespace {

// Overlays in recorded Worlds' directories that have no row: a deploy
// killed between making them and recording them.
std::vector<store::VmRecord> UnrecordedOverlays(store::Store& store,
                                                const std::string& state_dir,
                                                const std::vector<store::VmRecord>& rows,
                                                const StatusRequest& request) {
  std::set<std::string> known;
  for (const store::VmRecord& row : rows) known.insert(row.overlay);
  std::vector<store::VmRecord> out;
  for (const store::WorldRecord& world : store.Worlds(request.lab, request.owner)) {
    std::error_code ec;  // no directory: nothing made yet
    std::string dir = core::OverlayDir(state_dir, world.lab, world.owner);
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".qcow2") names.insert(entry.path().stem().string());
    }
    for (const std::string& name : names) {
      std::string overlay = core::OverlayPath(state_dir, world.lab, world.owner, name);
      if (!core::IsValidName(name) || known.count(overlay)) continue;
      store::VmRecord row;
      row.lab = world.lab;
      row.owner = world.owner;
      row.vm = name;
      row.domain = core::DomainName(world.lab, world.owner, name);
      row.overlay = overlay;
      out.push_back(row);
    }
  }
  return out;
}

}  // namespace

std::vector<VmStatus> InspectVms(const std::vector<store::VmRecord>& recorded,
                                 virt::Hypervisor* hypervisor, Disks& disks,
                                 const std::optional<std::string>& domain_prefix) {
  std::vector<VmStatus> out;
  std::set<std::string> known;
  for (const store::VmRecord& vm : recorded) {
    known.insert(vm.domain);
    VmStatus status{vm.lab, vm.owner, vm.vm, vm.domain, vm.overlay,
                    store::ToString(vm.phase), "unknown", "unknown", "", vm.identity};
    if (hypervisor) {
      VmFacts facts = ClassifyVm(vm.domain, vm.overlay, *hypervisor, disks);
      status.state = facts.domain ? virt::ToString(hypervisor->State(vm.domain)) : "missing";
      status.phase = PhaseName(facts.condition);
      status.fix = FixFor(facts, vm.overlay);
    }
    out.push_back(std::move(status));
  }
  if (hypervisor && domain_prefix) {
    for (const std::string& domain : hypervisor->ListDomains(*domain_prefix)) {
      if (known.count(domain)) continue;
      VmStatus stray;
      stray.domain = domain;
      stray.recorded = "unrecorded";
      stray.phase = "unrecorded";
      stray.state = virt::ToString(hypervisor->State(domain));
      stray.fix = "worlds deploy adopts or rebuilds it; worlds destroy removes it";
      out.push_back(std::move(stray));
    }
  }
  return out;
}

StatusReport Status(const Context& context, const Env& env, const StatusRequest& request) {
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  StatusReport report;
  std::unique_ptr<virt::Hypervisor> hypervisor;
  try {
    hypervisor = env.hypervisor();
  } catch (const core::Error& e) {
    report.no_libvirt = e.Describe();
  }
  // Stray domains are only attributable when the owner is not filtered.
  std::optional<std::string> prefix;
  if (!request.owner) {
    prefix = request.lab ? core::LabObjectPrefix(*request.lab) : core::kObjectPrefix;
  }
  std::vector<store::VmRecord> rows = store->Vms(request.lab, request.owner);
  std::vector<store::VmRecord> unrecorded =
      UnrecordedOverlays(*store, context.state_dir, rows, request);
  size_t recorded_rows = rows.size();
  rows.insert(rows.end(), unrecorded.begin(), unrecorded.end());
  report.vms = InspectVms(rows, hypervisor.get(), *env.disks, prefix);
  for (size_t i = recorded_rows; i < recorded_rows + unrecorded.size(); ++i) {
    report.vms[i].recorded = "unrecorded";
  }
  return report;
}

}  // namespace deploy

#include "deploy/status.h"

#include <filesystem>
#include <iomanip>
#include <set>

#include <nlohmann/json.hpp>

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

// "lan=10.20.0.1/24 dmz=..." from a recorded identity: the names the guest
// gives its NICs; "" when none is recorded.
std::string NicNames(const std::string& identity) {
  nlohmann::json doc = nlohmann::json::parse(identity, nullptr, /*allow_exceptions=*/false);
  std::string out;
  if (!doc.is_object() || !doc.contains("nics") || !doc["nics"].is_array()) return out;
  for (const nlohmann::json& nic : doc["nics"]) {
    out += (out.empty() ? "" : " ") + nic.value("name", "?") + "=" + nic.value("address", "?");
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

void Status(const Context& context, const Env& env, const StatusRequest& request,
            std::ostream& out) {
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::unique_ptr<virt::Hypervisor> hypervisor;
  std::string no_libvirt;
  try {
    hypervisor = env.hypervisor();
  } catch (const core::Error& e) {
    no_libvirt = e.Describe();
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
  std::vector<VmStatus> vms = InspectVms(rows, hypervisor.get(), *env.disks, prefix);
  for (size_t i = recorded_rows; i < recorded_rows + unrecorded.size(); ++i) {
    vms[i].recorded = "unrecorded";
  }
  if (request.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const VmStatus& vm : vms) {
      rows.push_back({{"lab", vm.lab},
                      {"owner", vm.owner},
                      {"vm", vm.vm},
                      {"domain", vm.domain},
                      {"overlay", vm.overlay},
                      {"phase", vm.phase},
                      {"recorded_phase", vm.recorded},
                      {"state", vm.state},
                      // machine-id and SSH host keys made for it at deploy time
                      {"identity", vm.identity.empty()
                                       ? nlohmann::json(nullptr)
                                       : nlohmann::json::parse(vm.identity, nullptr, false)}});
    }
    out << rows.dump(2) << "\n";
    return;
  }
  if (!no_libvirt.empty()) out << "note: " << no_libvirt << "\n";
  if (vms.empty()) {
    out << "No Worlds deployed" << (request.lab ? " for lab '" + *request.lab + "'" : "")
        << (request.owner ? " for '" + *request.owner + "'" : "") << ".\n";
    return;
  }
  out << std::left << std::setw(12) << "LAB" << std::setw(14) << "OWNER"
      << std::setw(10) << "VM" << std::setw(14) << "PHASE" << std::setw(10)
      << "STATE" << std::setw(32) << "DOMAIN" << "NICS\n";
  std::set<std::string> fixes;
  for (const VmStatus& vm : vms) {
    out << std::left << std::setw(12) << vm.lab << std::setw(14) << vm.owner
        << std::setw(10) << vm.vm << std::setw(14) << vm.phase << std::setw(10)
        << vm.state << std::setw(32) << vm.domain << NicNames(vm.identity) << "\n";
    if (!vm.fix.empty()) fixes.insert(vm.phase + ": " + vm.fix);
  }
  for (const std::string& fix : fixes) out << "  " << fix << "\n";
}

}  // namespace deploy

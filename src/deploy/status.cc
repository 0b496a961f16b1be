#include "deploy/status.h"

#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/names.h"
#include "deploy/lab_hosts.h"
#include "deploy/operations.h"
#include "deploy/vm_state.h"

namespace deploy {

namespace {

// Overlays in recorded Worlds' directories that have no row: a deploy
// killed between making them and recording them. Only the directories of
// hosts whose files are this machine's are listed.
std::vector<store::VmRecord> UnrecordedOverlays(store::Store& store, const LabHosts& hosts,
                                                const std::vector<store::VmRecord>& rows,
                                                const StatusRequest& request) {
  std::set<std::string> known;
  for (const store::VmRecord& row : rows) known.insert(row.overlay);
  std::vector<store::VmRecord> out;
  for (const store::WorldRecord& world : store.Worlds(request.lab, request.owner)) {
    std::string storage;
    try {
      if (!hosts.IsLocal(world.host)) continue;
      storage = hosts.StorageDir(world.host);
    } catch (const core::Error&) {
      continue;  // its host left the inventory: nothing to list here
    }
    std::error_code ec;  // no directory: nothing made yet
    std::string dir = core::OverlayDir(storage, world.lab, world.owner);
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".qcow2") names.insert(entry.path().stem().string());
    }
    for (const std::string& name : names) {
      std::string overlay = core::OverlayPath(storage, world.lab, world.owner, name);
      if (!core::IsValidName(name) || known.count(overlay)) continue;
      store::VmRecord row;
      row.lab = world.lab;
      row.owner = world.owner;
      row.vm = name;
      row.domain = core::DomainName(world.lab, world.owner, name);
      row.overlay = overlay;
      row.host = world.host;
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
  std::vector<store::HostRecord> inventory = store->Hosts();
  LabHosts hosts(context, env, inventory);
  StatusReport report;
  // Stray domains are only attributable when the owner is not filtered.
  std::optional<std::string> prefix;
  if (!request.owner) {
    prefix = request.lab ? core::LabObjectPrefix(*request.lab) : core::kObjectPrefix;
  }
  std::vector<store::VmRecord> rows = store->Vms(request.lab, request.owner);
  std::vector<store::VmRecord> unrecorded = UnrecordedOverlays(*store, hosts, rows, request);
  size_t recorded_rows = rows.size();
  rows.insert(rows.end(), unrecorded.begin(), unrecorded.end());

  // Each libvirt is asked once about the VMs of every host name it serves
  // (an inventory host may be the connect host too); its stray domains come
  // after the recorded VMs.
  std::vector<std::string> order = {""};  // a host name for each URI, in order
  std::map<std::string, std::string> name_of_uri = {{hosts.Uri(""), ""}};
  auto uri_of = [&](const std::string& host) {
    try {
      return hosts.Uri(host);
    } catch (const core::Error&) {
      return "?" + host;  // a host that left the inventory: its own group
    }
  };
  for (const store::HostRecord& host : inventory) {
    if (name_of_uri.emplace(host.uri, host.name).second) order.push_back(host.name);
  }
  std::map<std::string, std::vector<size_t>> rows_of;  // by the group's host name
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, fresh] = name_of_uri.emplace(uri_of(rows[i].host), rows[i].host);
    if (fresh) order.push_back(rows[i].host);
    rows_of[it->second].push_back(i);
  }
  std::vector<VmStatus> statuses(rows.size());
  std::vector<VmStatus> strays;
  for (const std::string& host : order) {
    std::vector<store::VmRecord> mine;
    for (size_t i : rows_of[host]) mine.push_back(rows[i]);
    std::unique_ptr<virt::Hypervisor> hypervisor;
    Disks* disks = nullptr;
    std::string unreachable;
    try {
      hypervisor = hosts.Connect(host);
      disks = &hosts.DisksOf(host);
    } catch (const core::Error& e) {
      unreachable = e.Describe();
      hypervisor.reset();
    }
    if (!unreachable.empty()) {
      if (host.empty()) {
        report.no_libvirt = unreachable;
      } else {
        report.unreachable_hosts[host] = unreachable;
      }
    }
    if (!disks) disks = env.disks.get();
    std::vector<VmStatus> got = InspectVms(mine, hypervisor.get(), *disks,
                                           hypervisor ? prefix : std::nullopt);
    for (size_t k = 0; k < got.size(); ++k) {
      if (k < mine.size()) {
        got[k].host = mine[k].host;
        if (!unreachable.empty() && !host.empty()) {
          got[k].state = "unreachable";
          got[k].fix = unreachable;
        }
        statuses[rows_of[host][k]] = std::move(got[k]);
      } else {
        got[k].host = host;
        strays.push_back(std::move(got[k]));
      }
    }
  }
  report.vms = std::move(statuses);
  for (size_t i = recorded_rows; i < recorded_rows + unrecorded.size(); ++i) {
    report.vms[i].recorded = "unrecorded";
  }
  report.vms.insert(report.vms.end(), strays.begin(), strays.end());
  return report;
}

}  // namespace deploy

#include "deploy/move.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "core/temp_path.h"
#include "deploy/base_images.h"
#include "deploy/executor.h"
#include "deploy/inspections.h"
#include "deploy/lab_hosts.h"
#include "deploy/lock.h"
#include "deploy/placement_plan.h"
#include "deploy/plan.h"
#include "store/store.h"

namespace deploy {

namespace {

// Copies the overlay `from` of the host reached by `source` to `to` on the
// host of `target`, writable, and checks that the copy there has `sha256`.
// A file of another host passes through a temporary file here.
void CopyOverlay(const HostAccess& source, const std::string& from, const HostAccess& target,
                 const std::string& to, const std::string& sha256) {
  std::optional<core::TempPath> staged;
  std::string local = from;
  if (source.fetch_file) {
    staged.emplace(core::TempPath::File("worlds-move-"));
    source.fetch_file(from, staged->path());
    local = staged->path();
  }
  if (target.send_file) {
    target.send_file(local, to, sha256);
  } else {
    namespace fs = std::filesystem;
    fs::create_directories(fs::path(to).parent_path());
    std::string temp = to + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    fs::copy_file(local, temp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(temp, to, ec);
    if (ec) {
      fs::remove(temp);
      throw core::Error("cannot copy the overlay: " + ec.message(), to);
    }
    ::chmod(to.c_str(), 0644);
  }
  std::string got = target.disks->Checksum(to);
  if (got != sha256) {
    throw core::Error("the copy of the overlay has sha256 " + got + ", the original " + sha256,
                      to, "drain again; check the disks of both hosts if it recurs");
  }
}

struct Source {
  const store::HostRecord* host;
  HostAccess access;
  std::unique_ptr<virt::Hypervisor> hypervisor;
};

// Moves one World off `from`; throws core::Error, with the World left
// whole where it was, when it cannot.
std::string MoveWorld(const Context& context, const Env& env, store::Store& store,
                      const std::vector<store::HostRecord>& inventory, LabHosts& hosts,
                      Source& from, const store::WorldRecord& world, std::ostream& out) {
  std::optional<store::LabRecord> lab_record = store.FindLab(world.lab);
  if (!lab_record) throw core::Error("lab '" + world.lab + "' is not recorded");
  config::LabParseResult parsed =
      config::ParseLabFile(lab_record->source_file, context.ImageDir());
  if (!parsed.errors.empty()) {
    throw core::Error("its lab file has errors now: " + parsed.errors.front().ToString(),
                      lab_record->source_file,
                      "fix the lab file: a World moves as its lab defines it");
  }
  const core::Lab& lab = *parsed.lab;
  WorldLocks locks =
      LockWorlds(context.state_dir, lab.name, std::set<std::string>{world.owner},
                 "worlds host drain");
  std::vector<store::VmRecord> vms = store.Vms(lab.name, world.owner);
  for (const store::VmRecord& vm : vms) {
    if (from.hypervisor->DomainExists(vm.domain) &&
        from.hypervisor->State(vm.domain) != virt::DomainState::kShutOff) {
      throw core::Error("its VM '" + vm.vm + "' is running, and a running VM cannot move "
                        "yet (live migration is not built)",
                        vm.domain,
                        "shut it down (`worlds stop " + lab.name + " --owner " + world.owner +
                            "`) and drain again");
    }
  }

  core::World w{lab.name, world.owner, world.index};
  PlanOptions options{context.state_dir, context.accel, false, {}};
  options.cpu_partitions = context.cpu_partitions;
  std::ostringstream quiet;  // inspections are recorded already
  options.images = InspectLabImages(lab, &store, /*record=*/false, env.inspect_images, quiet);
  // Placed as a new World among the lab's others, which count where they
  // live (those moved by this drain already included), as a deploy counts
  // them.
  std::vector<core::World> lab_worlds;
  std::vector<store::WorldRecord> others;
  for (const store::WorldRecord& record : store.Worlds(lab.name, std::nullopt)) {
    lab_worlds.push_back({record.lab, record.owner, record.index});
    if (record.owner != world.owner) others.push_back(record);
  }
  HostsPlan placed = PlaceWorlds(DesiredPlan(lab, lab_worlds, options), inventory, others,
                                 env.connect_host, *env.disks,
                                 HostFreeSpace(env, context.state_dir + "/logs/hosts"),
                                 context.capacity);
  std::string target_name;
  for (size_t i = 0; i < placed.owners.size(); ++i) {
    if (placed.owners[i] == world.owner) target_name = placed.placement.host_of[i];
  }
  if (target_name.empty()) {
    std::string why = "no lab host can take it";
    for (const std::string& line : placed.placement.refused) {
      if (line.find("'" + world.owner + "'") != std::string::npos) why = line;
    }
    throw core::Error(why, "", "add a host, undrain one, or raise a host's --memory limit");
  }
  const store::HostRecord* target = nullptr;
  for (const store::HostRecord& host : inventory) {
    if (host.name == target_name) target = &host;
  }
  if (!target) throw core::Error("placement chose an unknown host '" + target_name + "'");
  HostAccess to = env.reach_host(target->uri, context.state_dir + "/logs/hosts");
  std::unique_ptr<virt::Hypervisor> to_hypervisor = hosts.Connect(target->name);
  PlaceBaseImages(lab, target->name, to, store);

  // The disks first, each compared by its sha256 on both hosts.
  int copied = 0;
  for (const store::VmRecord& vm : vms) {
    if (!from.access.disks->Exists(vm.overlay)) continue;
    std::string sha256 = from.access.disks->Checksum(vm.overlay);
    std::string copy = core::OverlayPath(target->storage_dir, lab.name, world.owner, vm.vm);
    // A copy an interrupted drain left there: the original is still here.
    to.disks->Remove(copy);
    CopyOverlay(from.access, vm.overlay, to, copy, sha256);
    ++copied;
  }

  // The World built there over the copies, as a deploy re-defines kept
  // overlays (a VM without one is built afresh).
  options.state_dir = target->storage_dir;
  Plan plan = DesiredPlan(lab, {w}, options);
  for (WorldPlan& planned : plan.worlds) planned.host = target->name;
  ReconcileWithActual(plan, *to_hypervisor, *to.disks);
  ExecOptions exec;
  exec.jobs = 1;
  exec.log_dir = context.state_dir + "/logs/drain-" + from.host->name;
  exec.config = {context.connect, context.guestfs_backend, context.guestfs_settings};
  exec.hosts[target->name] = {
      to.launch_worker,
      {to.worker_connect, context.guestfs_backend, context.guestfs_settings}};
  Summary summary = Execute(plan, exec, env, store, out);
  if (!summary.ok()) {
    for (const store::VmRecord& vm : vms) store.SetVm(vm);  // still where they were
    throw core::Error("it could not be built on lab host '" + target->name +
                          "': " + summary.failures.front(),
                      "", "its VMs stay on lab host '" + from.host->name + "'; drain again");
  }
  store.SetWorldHost(lab.name, world.owner, target->name);

  // Only now is the old host's copy removed.
  for (const store::VmRecord& vm : vms) {
    if (from.hypervisor->DomainExists(vm.domain)) from.hypervisor->RemoveDomain(vm.domain);
  }
  for (const core::LabNetwork& net : lab.networks) {
    std::string name = core::NetworkName(lab.name, world.owner, net.name);
    if (from.hypervisor->NetworkExists(name)) from.hypervisor->RemoveNetwork(name);
  }
  from.hypervisor->RemovePartition(core::WorldPartition(lab.name, world.owner));
  for (const store::VmRecord& vm : vms) {
    from.access.disks->Remove(vm.overlay);
    from.access.disks->Remove(
        core::ConsoleLogPath(from.host->storage_dir, lab.name, world.owner, vm.vm));
  }
  try {
    // The World's directory, empty now (unless something else was put there).
    from.access.disks->Remove(core::OverlayDir(from.host->storage_dir, lab.name, world.owner));
  } catch (const core::Error&) {
  }
  return "to lab host '" + target->name + "': " + std::to_string(copied) +
         " overlay(s) copied, sha256 the same on both hosts";
}

}  // namespace

bool DrainHost(const Context& context, const Env& env, const std::string& host,
               std::ostream& out) {
  StateLock lock(context.state_dir, "worlds host drain");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::vector<store::HostRecord> inventory = store->Hosts();
  Source from{nullptr, {}, nullptr};
  for (const store::HostRecord& record : inventory) {
    if (record.name == host) from.host = &record;
  }
  if (!from.host) {
    throw core::InputError("no lab host '" + host + "' in the inventory", host,
                           "`worlds host list` shows them");
  }
  if (!from.host->draining) {
    throw core::Error("lab host '" + host + "' is not draining", host,
                      "`worlds host drain " + host + "` first");
  }
  std::vector<store::WorldRecord> worlds;
  for (const store::WorldRecord& world : store->Worlds(std::nullopt, std::nullopt)) {
    if (world.host == host) worlds.push_back(world);
  }
  if (worlds.empty()) {
    out << "No World lives on lab host '" << host << "'.\n";
    return true;
  }
  LabHosts hosts(context, env, inventory);
  from.hypervisor = hosts.Connect(host);
  if (!env.reach_host) throw core::Error("no connection to lab hosts here", from.host->uri);
  from.access = env.reach_host(from.host->uri, context.state_dir + "/logs/hosts");

  int moved = 0;
  for (const store::WorldRecord& world : worlds) {
    std::string what = world.owner + "'s World of lab '" + world.lab + "'";
    out << "Moving " << what << " off lab host '" << host << "'...\n" << std::flush;
    try {
      std::string how = MoveWorld(context, env, *store, inventory, hosts, from, world, out);
      out << "  moved " << what << " " << how << "\n";
      RecordEvent(*store, context, "host drain", world.lab + "/" + world.owner, "ok",
               "moved from " + host + " " + how);
      ++moved;
    } catch (const core::Error& e) {
      out << "  NOT MOVED " << what << ": " << e.Describe() << "\n";
      RecordEvent(*store, context, "host drain", world.lab + "/" + world.owner, "error",
               "not moved off " + host + ": " + e.Describe());
    }
  }
  out << "Moved " << moved << " of " << worlds.size() << " World(s) off lab host '" << host
      << "'.\n";
  return moved == static_cast<int>(worlds.size());
}

}  // namespace deploy

#include "deploy/move.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
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
#include "hosts/ssh_command.h"
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

// A lab host as a move reaches it.
struct Source {
  const store::HostRecord* host;
  HostAccess access;  // its disks, its workers, copies to and from it
  std::unique_ptr<virt::Hypervisor> hypervisor;
};

// The lab hosts a drain or a rebalance has reached, each once: the moves
// after the first reuse its connections.
class OpenHosts {
 public:
  OpenHosts(const Context& context, const Env& env, std::vector<store::HostRecord> inventory)
      : context_(context), env_(env), inventory_(std::move(inventory)),
        hosts_(context, env, inventory_) {}

  // Lab host `name` of the inventory, reached now or before. Throws
  // core::Error when it cannot be reached (and tries again next time).
  Source& Of(const std::string& name) {
    auto open = open_.find(name);
    if (open != open_.end()) return open->second;
    auto host = std::find_if(inventory_.begin(), inventory_.end(),
                             [&](const store::HostRecord& h) { return h.name == name; });
    if (host == inventory_.end()) throw core::Error("no lab host '" + name + "' in the inventory");
    if (!env_.reach_host) throw core::Error("no connection to lab hosts here", host->uri);
    std::unique_ptr<virt::Hypervisor> hypervisor = hosts_.Connect(host->name);
    HostAccess access = env_.reach_host(host->uri, context_.state_dir + "/logs/hosts");
    return open_.emplace(name, Source{&*host, std::move(access), std::move(hypervisor)})
        .first->second;
  }

  // What `host` reports for placement, through the connections above: read
  // once for every World placed after it (each read of a host over SSH
  // costs round trips), and again only once a World moved to or from it
  // (Forget). A host that cannot be reached reads as such.
  hosts::HostReading Reading(const store::HostRecord& host) {
    auto cached = readings_.find(host.name);
    if (cached != readings_.end()) return cached->second;
    hosts::HostReading reading;
    try {
      Source& source = Of(host.name);
      reading = hosts::ReadHost(host, *source.hypervisor, [&](const std::string& dir) {
        return source.access.disks->FreeBytes(dir);
      });
    } catch (const core::Error& e) {
      reading.unreachable = e.Describe();
    }
    return readings_.emplace(host.name, std::move(reading)).first->second;
  }
  void Forget(const std::string& name) { readings_.erase(name); }

 private:
  const Context& context_;
  const Env& env_;
  std::vector<store::HostRecord> inventory_;
  LabHosts hosts_;
  std::map<std::string, Source> open_;
  std::map<std::string, hosts::HostReading> readings_;
};

// How a drain or a rebalance moves Worlds.
struct MoveOptions {
  const char* command = "worlds host drain";  // who holds the World's lock
  bool dry_run = false;  // say where each World would go, move nothing
  // "lab/owner" -> the host a dry run has already sent that World to, so
  // that the Worlds after it are placed as if it had moved.
  std::map<std::string, std::string> planned;
};

std::string Key(const store::WorldRecord& world) { return world.lab + "/" + world.owner; }

struct Moved {
  std::string host;  // where it went (or would go)
  std::string how;   // what was done, in words
};

// Moves one World off `from` to the host placement gives it among
// `inventory` (a tie goes to the host named first); nullopt when that is
// `from` itself. Throws core::Error, with the World left whole where it
// was, when it cannot move. Its shut-off VMs move as their overlays; its
// running VMs move live, after their `clean` (exported on its own: a
// running disk cannot be copied whole).
std::optional<Moved> MoveWorld(const Context& context, const Env& env, store::Store& store,
                               const std::vector<store::HostRecord>& inventory,
                               OpenHosts& hosts, Source& from, const store::WorldRecord& world,
                               const MoveOptions& how_to, std::ostream& out) {
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
  std::vector<store::VmRecord> vms = store.Vms(lab.name, world.owner);
  // The VMs that move live (the others move as their disks), or why the
  // World cannot move.
  std::set<std::string> running;
  std::optional<core::Error> unmovable;
  auto read_states = [&] {
    running.clear();
    unmovable.reset();
    for (const store::VmRecord& vm : vms) {
      if (!from.hypervisor->DomainExists(vm.domain)) continue;
      virt::DomainState state = from.hypervisor->State(vm.domain);
      if (state == virt::DomainState::kRunning || state == virt::DomainState::kPaused) {
        running.insert(vm.vm);
      } else if (state != virt::DomainState::kShutOff && !unmovable) {
        unmovable = core::Error("its VM '" + vm.vm + "' is neither running nor shut off (" +
                                    virt::ToString(state) + ")",
                                vm.domain, "start or stop it, and move it again");
      }
    }
  };

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
  for (store::WorldRecord record : store.Worlds(lab.name, std::nullopt)) {
    lab_worlds.push_back({record.lab, record.owner, record.index});
    if (auto planned = how_to.planned.find(Key(record)); planned != how_to.planned.end()) {
      record.host = planned->second;
    }
    if (record.owner != world.owner) others.push_back(record);
  }
  HostsPlan placed = PlaceWorlds(
      DesiredPlan(lab, lab_worlds, options), inventory, others,
      [&hosts](const store::HostRecord& host) { return hosts.Reading(host); }, *env.disks,
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
  if (target_name == from.host->name) return std::nullopt;
  const store::HostRecord* target = nullptr;
  for (const store::HostRecord& host : inventory) {
    if (host.name == target_name) target = &host;
  }
  if (!target) throw core::Error("placement chose an unknown host '" + target_name + "'");
  // Only a World that moves is locked (a dry run locks none): from here
  // on, no action changes its VMs' states under the move.
  std::optional<WorldLocks> locks;
  if (!how_to.dry_run) {
    locks = LockWorlds(context.state_dir, lab.name, std::set<std::string>{world.owner},
                       how_to.command);
  }
  read_states();
  if (unmovable) throw *unmovable;
  if (how_to.dry_run) {
    std::string how = "to lab host '" + target->name + "'";
    if (!running.empty()) how += " (" + std::to_string(running.size()) + " running VM(s) live)";
    return Moved{target->name, how};
  }
  // From here on both hosts change, whether the move succeeds or not: the
  // next World is placed over what they report then.
  struct Reread {
    OpenHosts& hosts;
    std::string from, to;
    ~Reread() {
      hosts.Forget(from);
      hosts.Forget(to);
    }
  } reread{hosts, from.host->name, target->name};
  Source& there = hosts.Of(target->name);
  const HostAccess& to = there.access;
  virt::Hypervisor* to_hypervisor = there.hypervisor.get();
  for (const store::VmRecord& vm : vms) {
    // Left running there by a move that failed half-way: its disk there is
    // the newer one, and a copy must never replace it.
    if (to_hypervisor->DomainExists(vm.domain) &&
        to_hypervisor->State(vm.domain) != virt::DomainState::kShutOff) {
      throw core::Error("its VM '" + vm.vm + "' runs on lab host '" + target->name +
                            "' already, over the disk there (a move that failed half-way)",
                        vm.domain,
                        "stop it there and bring its disk back to lab host '" +
                            from.host->name + "' by hand before moving the World again");
    }
  }
  PlaceBaseImages(lab, target->name, to, store);

  // The disks first, each compared by its sha256 on both hosts. A running
  // VM's disk is still being written: what goes now is its `clean`, on
  // its own, and the live migration below copies the rest into it.
  int copied = 0;
  std::map<std::string, std::string> copies;  // VM -> its overlay there
  for (const store::VmRecord& vm : vms) {
    if (!from.access.disks->Exists(vm.overlay)) continue;
    std::string copy = core::OverlayPath(target->storage_dir, lab.name, world.owner, vm.vm);
    copies[vm.vm] = copy;
    // A copy an interrupted drain left there: the original is still here.
    to.disks->Remove(copy);
    std::string original = vm.overlay;
    std::string exported = vm.overlay + ".clean-export";
    if (running.count(vm.vm)) {
      from.access.disks->Remove(exported);
      from.access.disks->ExportSnapshot(vm.overlay, core::kCleanSnapshot, exported);
      original = exported;
    }
    std::string sha256 = from.access.disks->Checksum(original);
    CopyOverlay(from.access, original, to, copy, sha256);
    if (original == exported) from.access.disks->Remove(exported);
    ++copied;
  }

  // The World built there over the copies, as a deploy re-defines kept
  // overlays (a VM without one is built afresh); its running VMs arrive
  // below, onto its networks.
  options.state_dir = target->storage_dir;
  Plan plan = DesiredPlan(lab, {w}, options);
  for (WorldPlan& planned : plan.worlds) {
    planned.host = target->name;
    planned.make_networks = !running.empty();
    std::vector<VmPlan> stay_put;
    for (VmPlan& vm : planned.vms) {
      if (!running.count(vm.vm)) stay_put.push_back(std::move(vm));
    }
    planned.vms = std::move(stay_put);
  }
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

  // The running VMs, live: they keep running, their disks' changes since
  // `clean` copied into the copies as they go.
  std::vector<const store::VmRecord*> migrated;
  std::vector<std::string> noted;  // what went wrong once a VM had moved
  virt::Relocation back;
  back.migrate_uri = hosts::MigrationUri(from.host->uri);
  for (const store::VmRecord& vm : vms) {
    if (!running.count(vm.vm)) continue;
    virt::Relocation where;
    where.migrate_uri = hosts::MigrationUri(target->uri);
    std::string log_here = core::ConsoleLogPath(from.host->storage_dir, lab.name, world.owner,
                                                vm.vm);
    std::string log_there =
        core::ConsoleLogPath(target->storage_dir, lab.name, world.owner, vm.vm);
    where.paths = {{vm.overlay, copies[vm.vm]}, {log_here, log_there}};
    try {
      std::string after = from.hypervisor->MigrateLive(vm.domain, *to_hypervisor, where);
      if (!after.empty()) noted.push_back("on lab host '" + target->name + "': " + after);
      migrated.push_back(&vm);
      back.paths[copies[vm.vm]] = vm.overlay;
      back.paths[log_there] = log_here;
      store::VmRecord row = vm;
      row.overlay = copies[vm.vm];
      store.SetVm(row);
    } catch (const core::Error& e) {
      // The World stays whole where it was: the VMs already moved go back.
      std::string split;
      for (const store::VmRecord* moved : migrated) {
        try {
          to_hypervisor->MigrateLive(moved->domain, *from.hypervisor, back);
        } catch (const core::Error& again) {
          split += " '" + moved->vm + "' (" + again.message() + ")";
        }
      }
      for (const store::VmRecord& row : vms) store.SetVm(row);
      if (!split.empty()) {
        throw core::Error("its VM '" + vm.vm + "' could not move live (" + e.message() +
                              "), and these VMs that had moved could not come back:" + split,
                          vm.domain,
                          "the World is split: those VMs run on lab host '" + target->name +
                              "' over their disks there, while its record names lab host '" +
                              from.host->name + "'; stop them there and bring their disks "
                              "back by hand before moving the World again");
      }
      throw core::Error("its VM '" + vm.vm + "' could not move live: " + e.Describe(), vm.domain,
                        "its VMs stay on lab host '" + from.host->name + "'; drain again");
    }
  }
  store.SetWorldHost(lab.name, world.owner, target->name);

  // Only now is the old host's copy removed. The World has moved: what
  // cannot be removed is said, not taken for a failed move.
  auto clean_up = [&](const std::function<void()>& remove) {
    try {
      remove();
    } catch (const core::Error& e) {
      noted.push_back("left on lab host '" + from.host->name + "': " + e.Describe());
    }
  };
  for (const store::VmRecord& vm : vms) {
    clean_up([&] {
      if (from.hypervisor->DomainExists(vm.domain)) from.hypervisor->RemoveDomain(vm.domain);
    });
  }
  for (const core::LabNetwork& net : lab.networks) {
    std::string name = core::NetworkName(lab.name, world.owner, net.name);
    clean_up([&] {
      if (from.hypervisor->NetworkExists(name)) from.hypervisor->RemoveNetwork(name);
    });
  }
  clean_up([&] {
    from.hypervisor->RemovePartition(core::WorldPartition(lab.name, world.owner));
  });
  for (const store::VmRecord& vm : vms) {
    clean_up([&] { from.access.disks->Remove(vm.overlay); });
    clean_up([&] {
      from.access.disks->Remove(
          core::ConsoleLogPath(from.host->storage_dir, lab.name, world.owner, vm.vm));
    });
  }
  try {
    // The World's directory, empty now (unless something else was put there).
    from.access.disks->Remove(core::OverlayDir(from.host->storage_dir, lab.name, world.owner));
  } catch (const core::Error&) {
  }
  std::string how = "to lab host '" + target->name + "': " + std::to_string(copied) +
                    " overlay(s) copied, sha256 the same on both hosts";
  if (!running.empty()) {
    how += "; " + std::to_string(running.size()) +
           " running VM(s) moved live, `clean` exported with them";
  }
  for (const std::string& what : noted) how += "\n    " + what;
  return Moved{target->name, how};
}

}  // namespace

bool DrainHost(const Context& context, const Env& env, const std::string& host,
               std::ostream& out) {
  StateLock lock(context.state_dir, "worlds host drain");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::vector<store::HostRecord> inventory = store->Hosts();
  const store::HostRecord* drained = nullptr;
  for (const store::HostRecord& record : inventory) {
    if (record.name == host) drained = &record;
  }
  if (!drained) {
    throw core::InputError("no lab host '" + host + "' in the inventory", host,
                           "`worlds host list` shows them");
  }
  if (!drained->draining) {
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
  OpenHosts hosts(context, env, inventory);
  Source& from = hosts.Of(host);

  int moved = 0;
  for (const store::WorldRecord& world : worlds) {
    std::string what = world.owner + "'s World of lab '" + world.lab + "'";
    out << "Moving " << what << " off lab host '" << host << "'...\n" << std::flush;
    try {
      std::optional<Moved> moved_to =
          MoveWorld(context, env, *store, inventory, hosts, from, world, {}, out);
      if (!moved_to) throw core::Error("placement kept it on the draining host");
      const std::string& how = moved_to->how;
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

bool Rebalance(const Context& context, const Env& env, bool dry_run, std::ostream& out) {
  StateLock lock(context.state_dir, "worlds rebalance");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::vector<store::HostRecord> inventory = store->Hosts();
  int open = 0;
  for (const store::HostRecord& host : inventory) open += host.draining ? 0 : 1;
  if (open < 2) {
    out << "Nothing to balance: " << open
        << " lab host(s) take Worlds (`worlds host add` adds one).\n";
    return true;
  }
  OpenHosts hosts(context, env, inventory);
  std::map<std::string, std::string> unreachable;  // host name -> why
  std::set<std::string> failed;                // "lab/owner": not tried again
  MoveOptions how_to;
  how_to.command = "worlds rebalance";
  how_to.dry_run = dry_run;
  int moved = 0;
  // A World moves when another host has more headroom than its own would
  // have without it, so each move narrows the spread; a few passes let the
  // Worlds placed early see the moves made after them.
  for (int pass = 0; pass < 3; ++pass) {
    int moved_in_pass = 0;
    for (store::WorldRecord world : store->Worlds(std::nullopt, std::nullopt)) {
      if (auto planned = how_to.planned.find(Key(world)); planned != how_to.planned.end()) {
        world.host = planned->second;
      }
      if (failed.count(Key(world))) continue;
      auto home = std::find_if(inventory.begin(), inventory.end(),
                               [&](const store::HostRecord& h) { return h.name == world.host; });
      // Worlds without a lab host, or on a draining one (the drain moves
      // those), are not the rebalance's.
      if (home == inventory.end() || home->draining || unreachable.count(home->name)) continue;
      std::vector<store::HostRecord> order = {*home};  // a tie keeps it at home
      for (const store::HostRecord& host : inventory) {
        if (host.name != home->name) order.push_back(host);
      }
      Source* from = nullptr;
      try {
        from = &hosts.Of(home->name);
      } catch (const core::Error& e) {
        unreachable[home->name] = e.Describe();
        out << "  lab host '" << home->name << "' cannot be reached; its Worlds stay: "
            << e.Describe() << "\n";
        continue;
      }
      std::string what = world.owner + "'s World of lab '" + world.lab + "'";
      try {
        std::optional<Moved> moved_to =
            MoveWorld(context, env, *store, order, hosts, *from, world, how_to, out);
        if (!moved_to) continue;
        if (dry_run) {
          out << "  would move " << what << " from lab host '" << home->name << "' "
              << moved_to->how << "\n";
          how_to.planned[Key(world)] = moved_to->host;
        } else {
          out << "  moved " << what << " from lab host '" << home->name << "' "
              << moved_to->how << "\n"
              << std::flush;
          RecordEvent(*store, context, "rebalance", Key(world), "ok",
                      "moved from " + home->name + " " + moved_to->how);
        }
        ++moved_in_pass;
      } catch (const core::Error& e) {
        failed.insert(Key(world));
        out << "  NOT MOVED " << what << " off lab host '" << home->name
            << "': " << e.Describe() << "\n";
        if (!dry_run) {
          RecordEvent(*store, context, "rebalance", Key(world), "error",
                      "not moved off " + home->name + ": " + e.Describe());
        }
      }
    }
    moved += moved_in_pass;
    if (moved_in_pass == 0) break;
  }
  if (moved == 0 && failed.empty() && unreachable.empty()) {
    out << "Nothing to move: the lab hosts' memory use is as even as whole Worlds allow.\n";
  } else {
    out << (dry_run ? "Would move " : "Moved ") << moved << " World(s)";
    if (!failed.empty()) out << "; " << failed.size() << " could not move";
    if (!unreachable.empty()) {
      out << "; the Worlds on " << unreachable.size() << " unreachable lab host(s) stay";
    }
    out << ".\n";
  }
  return failed.empty() && unreachable.empty();
}

}  // namespace deploy

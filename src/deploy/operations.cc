#include "deploy/operations.h"

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/failpoint.h"
#include "core/names.h"
#include "deploy/actions.h"
#include "deploy/base_images.h"
#include "deploy/capacity_check.h"
#include "deploy/executor.h"
#include "deploy/inspections.h"
#include "deploy/lab_hosts.h"
#include "deploy/lock.h"
#include "deploy/placement_plan.h"
#include "deploy/plan.h"
#include "image/overlay.h"
#include "hosts/inventory.h"
#include "schedule/policy_json.h"
#include "store/store.h"

namespace deploy {

std::string Context::ImageDir() const {
  return image_dir.empty() ? core::ImageDir(state_dir) : image_dir;
}

namespace {

[[noreturn]] void ThrowDiagnostics(const config::Diagnostics& errors,
                                   const std::string& what) {
  std::string text;
  for (const config::Diagnostic& d : errors) {
    if (!text.empty()) text += "\n";
    text += d.ToString();
  }
  throw core::InputError(text + "\n" + std::to_string(errors.size()) + " error(s) in " +
                        what + "; nothing was changed");
}

core::Lab LoadLab(const Context& context, const std::string& path) {
  config::LabParseResult parsed = config::ParseLabFile(path, context.ImageDir());
  if (!parsed.errors.empty()) ThrowDiagnostics(parsed.errors, path);
  return *parsed.lab;
}

}  // namespace

void RecordEvent(store::Store& store, const Context& context, const std::string& action,
                 const std::string& target, const std::string& result,
                 const std::string& detail) {
  store::Event event;
  event.uid = context.uid;
  event.actor = context.actor;
  event.action = action;
  event.target = target;
  event.result = result;
  event.detail = detail;
  store.AddEvent(event);
}

namespace {

uint64_t DiskUsed(const Plan& plan, Disks& disks) {
  uint64_t bytes = 0;
  for (const WorldPlan& world : plan.worlds) {
    for (const VmPlan& vm : world.vms) bytes += disks.AllocatedBytes(vm.overlay);
  }
  return bytes;
}

// The lab's dropped VMs: removes those the plan marked (domain, overlay,
// console log, store row) and names the ones kept for their student data.
// `storage_dir`: where the plan's host keeps overlays and console logs.
void RemoveDroppedVms(const Context& context, const std::string& storage_dir, const Plan& plan,
                      virt::Hypervisor& hypervisor, Disks& disks, store::Store& store,
                      std::ostream& out) {
  for (const WorldPlan& world : plan.worlds) {
    for (const DroppedVm& vm : world.dropped) {
      if (!vm.remove) {
        out << "  KEPT " << vm.domain << ": no longer in the lab, but its overlay "
            << vm.overlay
            << (vm.unreadable.empty() ? " holds student data"
                                      : " cannot be read (" + vm.unreadable +
                                            ") and may hold student data")
            << " (--delete-student-data removes it)\n";
        continue;
      }
      if (vm.domain_exists) hypervisor.RemoveDomain(vm.domain);
      disks.Remove(vm.overlay);
      disks.Remove(core::ConsoleLogPath(storage_dir, plan.lab, world.world.owner, vm.vm));
      store.RemoveVm(plan.lab, world.world.owner, vm.vm);
      RecordEvent(store, context, "remove-vm", vm.domain, "ok",
                  vm.student_data ? "no longer in the lab; student data deleted "
                                    "(--delete-student-data)"
                                  : "no longer in the lab; no student data");
      out << "  removed " << vm.domain << ": no longer in the lab"
          << (vm.student_data ? ", with its student data" : "") << "\n";
    }
  }
}

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void WriteReport(const std::string& path, const Plan& plan, const Summary& summary,
                 double validate_seconds, double inspect_seconds, double plan_seconds,
                 double total_seconds,
                 uint64_t disk_bytes) {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  nlohmann::json phases = {
      {"validate", validate_seconds}, {"inspect", inspect_seconds}, {"plan", plan_seconds}};
  for (const auto& [phase, seconds] : summary.phase_seconds) phases[phase] = seconds;
  nlohmann::json report = {
      {"lab", plan.lab},
      {"worlds", summary.worlds},
      {"vms", summary.vms},
      {"built", summary.done},
      {"up_to_date", summary.up_to_date},
      {"failed", summary.failures.size()},
      {"seconds", total_seconds},
      {"phases", phases},
      {"workers", summary.workers},
      {"launches", summary.launches},
      {"drives_per_launch", summary.drives_per_launch},
      {"parent_max_rss_kib", usage.ru_maxrss},
      {"worker_max_rss_kib", summary.worker_max_rss_kib},
      {"disk_bytes", disk_bytes},
  };
  std::ofstream file(path);
  file << report.dump(2) << "\n";
  if (!file) throw core::Error("cannot write the report", path);
}


// The lab's base images before a deploy plans anything: registered (a base
// changed under overlays is refused), inspected once each (recorded), and
// checked customizable, with their warnings. Returns the inspection's time.
double PrepareImages(const core::Lab& lab, store::Store& store, const Env& env,
                     PlanOptions& plan_options, std::ostream& out) {
  CheckBaseImages(lab, store, *env.disks);
  Clock::time_point inspect_start = Clock::now();
  plan_options.images = InspectLabImages(lab, &store, /*record=*/true, env.inspect_images, out);
  double inspect_seconds = Since(inspect_start);
  CheckCustomizable(lab, plan_options.images);
  for (const std::string& warning : ImageWarnings(lab, plan_options.images)) {
    out << warning << "\n";
  }
  return inspect_seconds;
}

// Records what a deploy is about to make (the lab, its schedule as
// deployed, the students, their Worlds and, by owner, the lab host each
// lives on) and opens its deployments row. Returns the row's id.
int64_t RecordDeployment(store::Store& store, const Context& context,
                         const DeployRequest& request, const core::Lab& lab,
                         const core::Roster& roster, const std::vector<core::World>& worlds,
                         const std::map<std::string, std::string>& host_of) {
  std::string args = request.lab_file + " --roster " + request.roster_file +
                     (request.group ? " --group " + *request.group : "");
  int64_t deployment = 0;
  store.InTransaction([&] {
    store.UpsertLab(lab.name, std::filesystem::absolute(request.lab_file).string(),
                    lab.description);
    // The broker enforces the schedule as deployed, not as the file says now.
    store.SetLabPolicy(lab.name, schedule::EncodePolicy(lab));
    for (const core::Student& student : roster.students) {
      store.UpsertUser(student.username, student.full_name, student.group);
    }
    for (const core::World& world : worlds) {
      store.UpsertWorld(world.lab, world.owner, world.index);
      auto host = host_of.find(world.owner);
      if (host != host_of.end()) store.SetWorldHost(world.lab, world.owner, host->second);
    }
    deployment = store.BeginDeployment(lab.name, context.actor, args);
  });
  return deployment;
}

void AnnounceDeploy(const Plan& plan, const core::Lab& lab, size_t worlds,
                    const Context& context, std::ostream& out) {
  if (plan.NothingToDo()) return;
  out << "Deploying lab '" << lab.name << "' to " << worlds << " World(s): "
      << plan.CountAction(VmAction::kBuild) << " VM(s) to build, "
      << plan.CountAction(VmAction::kAdopt) << " to re-define over kept overlays, "
      << plan.CountAction(VmAction::kNothing) << " up to date; "
      << (plan.CountAction(VmAction::kRefused) > 0
              ? std::to_string(plan.CountAction(VmAction::kRefused)) +
                    " left alone (its overlay or lab host cannot be read); "
              : std::string())
      << context.jobs << " job(s), accel " << context.accel << "\n"
      << std::flush;
}

// One lab host's share of a deploy across the inventory.
struct HostPart {
  std::string name;  // "": the connect host (Worlds deployed before the inventory)
  std::string uri;
  std::string storage_dir;
  HostAccess access;
  std::unique_ptr<virt::Hypervisor> hypervisor;
  std::vector<core::World> worlds;
  Plan plan;
  std::string failed;  // why nothing can be done there now ("" : it can)
};

// A deploy when the state has an inventory of lab hosts (issue 14): each
// new World is placed (hosts::Place), and each host's Worlds are planned,
// reconciled and built there, by workers on that host, over its storage
// dir and its own libvirt. A host that cannot be reached or used fails its
// own Worlds, never the others'.
bool DeployOnHosts(const Context& context, const Env& env, const DeployRequest& request,
                   const core::Lab& lab, const core::Roster& roster,
                   const std::vector<core::World>& worlds, PlanOptions plan_options,
                   Clock::time_point start, double validate_seconds, std::ostream& out) {
  Clock::time_point plan_start = Clock::now();
  StateLock lock(context.state_dir, "worlds deploy");
  WorldLocks world_locks = LockWorlds(context.state_dir, lab.name, worlds, "worlds deploy");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::vector<store::HostRecord> inventory = store->Hosts();
  double inspect_seconds = PrepareImages(lab, *store, env, plan_options, out);

  const std::string hosts_log = context.state_dir + "/logs/hosts";
  Plan desired = DesiredPlan(lab, worlds, plan_options);
  if (desired.cpu_limit_percent > 0 && !desired.cpu_limit_applied) {
    out << "warning: " << DescribeCpuLimit(desired) << "\n";
  }
  HostsPlan hosts_plan = PlaceWorlds(desired, inventory, store->Worlds(lab.name, std::nullopt),
                                     ReadEachHost(env.connect_host, HostFreeSpace(env, hosts_log)),
                                     *env.disks, context.capacity);
  out << DescribeHostsPlan(hosts_plan, context.connect) << std::flush;
  if (!hosts_plan.placement.ok()) {
    throw core::Error("the lab's Worlds do not fit the lab hosts; nothing was changed",
                      "lab " + lab.name,
                      "add a host (`worlds host add`), undrain one, or raise a host's "
                      "--memory limit");
  }

  // Each host's Worlds, planned over its storage dir.
  std::map<std::string, std::string> host_of;  // owner -> host, for the store
  for (size_t i = 0; i < hosts_plan.owners.size(); ++i) {
    host_of[hosts_plan.owners[i]] = hosts_plan.placement.host_of[i];
  }
  std::vector<HostPart> parts;
  auto part_for = [&](const std::string& name) -> HostPart& {
    for (HostPart& part : parts) {
      if (part.name == name) return part;
    }
    HostPart part;
    part.name = name;
    part.uri = context.connect;
    part.storage_dir = context.state_dir;
    for (const store::HostRecord& host : inventory) {
      if (host.name == name) {
        part.uri = host.uri;
        part.storage_dir = host.storage_dir;
      }
    }
    parts.push_back(std::move(part));
    return parts.back();
  };
  for (const core::World& world : worlds) {
    auto placed = host_of.find(world.owner);
    part_for(placed == host_of.end() ? "" : placed->second).worlds.push_back(world);
  }
  std::vector<store::VmRecord> recorded = store->Vms(lab.name, std::nullopt);
  for (HostPart& part : parts) {
    PlanOptions options = plan_options;
    options.state_dir = part.storage_dir;
    part.plan = DesiredPlan(lab, part.worlds, options);
    for (WorldPlan& world : part.plan.worlds) world.host = part.name;
    try {
      if (part.name.empty()) {
        part.access.disks = env.disks;
        part.access.launch_worker = env.launch_worker;
        part.access.worker_connect = context.connect;
        part.hypervisor = env.hypervisor();
      } else {
        if (!env.reach_host || !env.connect_host) {
          throw core::Error("no connection to lab hosts here", part.uri);
        }
        part.access = env.reach_host(part.uri, hosts_log);
        part.hypervisor = env.connect_host(part.uri);
        PlaceBaseImages(lab, part.name, part.access, *store);
      }
      ReconcileWithActual(part.plan, *part.hypervisor, *part.access.disks);
      FindDroppedVms(part.plan, recorded, options, *part.hypervisor, *part.access.disks);
    } catch (const core::Error& e) {
      // Nothing is done there: each of its VMs is reported failed, and the
      // other hosts' Worlds go on. A re-run converges once it is back.
      part.failed = e.Describe();
      part.hypervisor.reset();
      part.plan = DesiredPlan(lab, part.worlds, options);
      for (WorldPlan& world : part.plan.worlds) {
        world.host = part.name;
        for (VmPlan& vm : world.vms) {
          vm.action = VmAction::kRefused;
          vm.change = "lab host '" + (part.name.empty() ? context.connect : part.name) +
                      "' cannot be used now: " + part.failed;
        }
      }
    }
  }
  Plan plan;
  plan.lab = lab.name;
  plan.cpu_limit_percent = desired.cpu_limit_percent;
  plan.cpu_limit_applied = desired.cpu_limit_applied;
  for (const HostPart& part : parts) {
    plan.worlds.insert(plan.worlds.end(), part.plan.worlds.begin(), part.plan.worlds.end());
  }
  double plan_seconds = Since(plan_start);

  int64_t deployment = RecordDeployment(*store, context, request, lab, roster, worlds, host_of);
  ExecOptions exec;
  exec.jobs = context.jobs;
  exec.log_dir = context.state_dir + "/logs/deploy-" + std::to_string(deployment);
  exec.config = {context.connect, context.guestfs_backend, context.guestfs_settings};
  exec.tty = context.tty;
  for (const HostPart& part : parts) {
    if (part.name.empty() || !part.failed.empty()) continue;
    exec.hosts[part.name] = {part.access.launch_worker,
                             {part.access.worker_connect, context.guestfs_backend,
                              context.guestfs_settings}};
  }
  AnnounceDeploy(plan, lab, worlds.size(), context, out);
  Summary summary = Execute(plan, exec, env, *store, out);
  uint64_t disk_bytes = 0;
  std::vector<std::string> after_build;
  for (HostPart& part : parts) {
    if (!part.failed.empty()) continue;
    try {
      RemoveDroppedVms(context, part.storage_dir, part.plan, *part.hypervisor,
                       *part.access.disks, *store, out);
      disk_bytes += DiskUsed(part.plan, *part.access.disks);
    } catch (const core::Error& e) {
      // Its Worlds' failures (if any) are reported already; this only
      // says what could not be read or removed there afterwards.
      after_build.push_back("  note: lab host '" + part.name + "' after the build: " +
                            e.Describe() + "\n");
    }
  }
  std::string text = DescribeSummary(summary, disk_bytes);
  for (const std::string& note : after_build) text += note;
  for (const HostPart& part : parts) {
    text += "  lab host " + (part.name.empty() ? context.connect : part.name) + ": " +
            std::to_string(part.worlds.size()) + " World(s)" +
            (part.failed.empty() ? "" : ", not reached: " + part.failed) + "\n";
  }
  out << text << std::flush;
  if (!request.report_file.empty()) {
    WriteReport(request.report_file, plan, summary, validate_seconds, inspect_seconds,
                plan_seconds - inspect_seconds, Since(start), disk_bytes);
  }
  std::string result = summary.ok() ? "ok" : "error";
  store->FinishDeployment(deployment, result, text);
  RecordEvent(*store, context, "deploy", lab.name, result,
              std::to_string(summary.done) + " VM(s) built, " +
                  std::to_string(summary.failures.size()) + " failed, on " +
                  std::to_string(parts.size()) + " host(s)");
  return summary.ok();
}

}  // namespace

bool Deploy(const Context& context, const Env& env, const DeployRequest& request,
            std::ostream& out) {
  Clock::time_point start = Clock::now();
  core::Lab lab = LoadLab(context, request.lab_file);
  config::RosterParseResult roster = config::ParseRosterFile(request.roster_file);
  if (!roster.errors.empty()) ThrowDiagnostics(roster.errors, request.roster_file);
  std::vector<core::World> worlds =
      config::WorldsFor(lab.name, *roster.roster, request.group, request.per);
  config::Diagnostics clashes = config::CheckWorlds(lab, worlds);
  if (!clashes.empty()) ThrowDiagnostics(clashes, request.lab_file);

  double validate_seconds = Since(start);
  Clock::time_point plan_start = Clock::now();
  PlanOptions plan_options{context.state_dir, context.accel, request.delete_student_data, {}};
  plan_options.cpu_partitions = context.cpu_partitions;

  if (request.dry_run) {
    // A dry run creates nothing, not even an empty state database: it reads
    // recorded inspections and inspects the rest without keeping them.
    std::unique_ptr<store::Store> known;
    if (std::filesystem::exists(core::StateDbPath(context.state_dir))) {
      known = store::Store::Open(core::StateDbPath(context.state_dir));
    }
    plan_options.images =
        InspectLabImages(lab, known.get(), /*record=*/false, env.inspect_images, out);
    CheckCustomizable(lab, plan_options.images);
    for (const std::string& warning : ImageWarnings(lab, plan_options.images)) {
      out << warning << "\n";
    }
    Plan plan = DesiredPlan(lab, worlds, plan_options);
    std::unique_ptr<virt::Hypervisor> hypervisor;
    try {
      hypervisor = env.hypervisor();
      ReconcileWithActual(plan, *hypervisor, *env.disks);
      std::vector<store::VmRecord> recorded;
      if (known) recorded = known->Vms(lab.name, std::nullopt);
      FindDroppedVms(plan, recorded, plan_options, *hypervisor, *env.disks);
    } catch (const core::Error& e) {
      hypervisor.reset();
      plan = DesiredPlan(lab, worlds, plan_options);
      out << "note: libvirt not reachable, planning from scratch: " << e.Describe()
          << "\n";
    }
    std::vector<store::HostRecord> inventory;
    if (known) inventory = known->Hosts();
    if (!inventory.empty()) {
      // Several lab hosts: where each World would go, and each host's room.
      hosts::Connector connect = env.connect_host;
      if (!connect) {
        connect = [](const std::string& uri) -> std::unique_ptr<virt::Hypervisor> {
          throw core::Error("no connection to lab hosts here", uri);
        };
      }
      HostsPlan hosts_plan = PlaceWorlds(plan, inventory, known->Worlds(lab.name, std::nullopt),
                                         ReadEachHost(connect, HostFreeSpace(env, "")),
                                         *env.disks, context.capacity);
      out << DescribePlan(plan) << DescribeHostsPlan(hosts_plan, context.connect);
      if (!hosts_plan.placement.ok()) {
        out << "A deploy would be refused: a World that fits no host is not placed.\n";
      }
      out << "Dry run: nothing was changed.\n";
      return true;
    }
    capacity::Fit fit = CheckCapacity(plan, context.capacity, hypervisor.get(), *env.disks,
                                      context.state_dir);
    out << DescribePlan(plan) << capacity::DescribeFit(fit);
    if (fit.Refused()) {
      out << "A deploy would be refused (capacity-check = refuse): "
          << capacity::RefusalFix() << ".\n";
    }
    out << "Dry run: nothing was changed.\n";
    return true;
  }

  {
    std::vector<store::HostRecord> inventory;
    if (std::filesystem::exists(core::StateDbPath(context.state_dir))) {
      inventory = store::Store::Open(core::StateDbPath(context.state_dir))->Hosts();
    }
    if (!inventory.empty()) {
      return DeployOnHosts(context, env, request, lab, *roster.roster, worlds, plan_options,
                           start, validate_seconds, out);
    }
  }
  // Before the lock and the state database: a host that cannot run the
  // result gets nothing made.
  if (env.check_host) env.check_host();
  std::unique_ptr<virt::Hypervisor> hypervisor = env.hypervisor();
  {
    // The desired plan is enough to size the result (memory, vCPUs,
    // disks); VMs it would remove still count if they run (conservative).
    capacity::Fit fit = CheckCapacity(DesiredPlan(lab, worlds, plan_options), context.capacity,
                                      hypervisor.get(), *env.disks, context.state_dir);
    if (fit.Refused()) out << capacity::DescribeFit(fit) << std::flush;
    RefuseIfShort(fit, lab.name);
    for (const capacity::Shortfall& s : fit.shortfalls) out << "warning: " << s.message << "\n";
  }
  StateLock lock(context.state_dir, "worlds deploy");
  WorldLocks world_locks = LockWorlds(context.state_dir, lab.name, worlds, "worlds deploy");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  double inspect_seconds = PrepareImages(lab, *store, env, plan_options, out);
  Plan plan = DesiredPlan(lab, worlds, plan_options);
  if (plan.cpu_limit_percent > 0 && !plan.cpu_limit_applied) {
    out << "warning: " << DescribeCpuLimit(plan) << "\n";
  }
  ReconcileWithActual(plan, *hypervisor, *env.disks);
  FindDroppedVms(plan, store->Vms(lab.name, std::nullopt), plan_options, *hypervisor,
                 *env.disks);
  double plan_seconds = Since(plan_start);

  int64_t deployment =
      RecordDeployment(*store, context, request, lab, *roster.roster, worlds, {});

  ExecOptions exec;
  exec.jobs = context.jobs;
  exec.log_dir = context.state_dir + "/logs/deploy-" + std::to_string(deployment);
  exec.config = {context.connect, context.guestfs_backend, context.guestfs_settings};
  exec.tty = context.tty;
  AnnounceDeploy(plan, lab, worlds.size(), context, out);
  Summary summary;
  summary = Execute(plan, exec, env, *store, out);
  RemoveDroppedVms(context, context.state_dir, plan, *hypervisor, *env.disks, *store, out);
  uint64_t disk_bytes = DiskUsed(plan, *env.disks);
  std::string text = DescribeSummary(summary, disk_bytes);
  try {
    text += capacity::DescribeFitShort(CheckCapacity(plan, context.capacity, hypervisor.get(),
                                                     *env.disks, context.state_dir));
  } catch (const core::Error& e) {
    // The deploy is done: a host that cannot be read now does not undo it.
    text += "  capacity: not read (" + e.Describe() + ")\n";
  }
  out << text << std::flush;
  if (!request.report_file.empty()) {
    WriteReport(request.report_file, plan, summary, validate_seconds, inspect_seconds,
                plan_seconds - inspect_seconds,
                Since(start), disk_bytes);
  }
  std::string result = summary.ok() ? "ok" : "error";
  store->FinishDeployment(deployment, result, text);
  RecordEvent(*store, context, "deploy", lab.name, result,
              std::to_string(summary.done) + " VM(s) built, " +
                  std::to_string(summary.failures.size()) + " failed");
  return summary.ok();
}

}  // namespace deploy

namespace deploy {

namespace {

// The owner whose prefix "w-<lab>-<owner>-" is the longest match of `name`:
// owners may contain '-', so "w-lab-al-x-lan" belongs to "al-x" if both
// "al" and "al-x" own Worlds of the lab.
std::optional<std::string> OwnerOf(const std::string& name, const std::string& lab,
                                   const std::set<std::string>& owners) {
  std::optional<std::string> best;
  for (const std::string& owner : owners) {
    std::string prefix = core::WorldObjectPrefix(lab, owner);
    if (name.compare(0, prefix.size(), prefix) == 0 &&
        (!best || owner.size() > best->size())) {
      best = owner;
    }
  }
  return best;
}

std::string LabNameOf(const Context& context, const std::string& lab_or_file,
                      std::optional<core::Lab>* lab) {
  if (std::filesystem::is_regular_file(lab_or_file)) {
    config::LabParseResult parsed = config::ParseLabFile(lab_or_file, context.ImageDir());
    if (parsed.lab) {
      *lab = parsed.lab;
      return (*lab)->name;
    }
    // Images may be gone by the time a lab is torn down; the name and the
    // recorded state are enough to find everything.
    if (std::optional<std::string> name = config::ReadLabName(lab_or_file)) return *name;
    ThrowDiagnostics(parsed.errors, lab_or_file);
  }
  return ResolveLabName(lab_or_file);  // a lab name, checked like the admin actions'
}

}  // namespace

void Destroy(const Context& context, const Env& env, const DestroyRequest& request,
             std::ostream& out) {
  std::optional<core::Lab> lab;
  std::string lab_name = LabNameOf(context, request.lab_file, &lab);
  StateLock lock(context.state_dir, "worlds destroy");
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  LabHosts hosts(context, env, store->Hosts());
  std::map<std::string, std::string> host_of;  // owner -> the host its World lives on
  for (const store::WorldRecord& world : store->Worlds(lab_name, std::nullopt)) {
    host_of[world.owner] = world.host;
  }
  // Connected before anything is removed: the connect host failing stops
  // the destroy as before; another host that cannot be reached only keeps
  // its own Worlds, reported at the end.
  std::unique_ptr<virt::Hypervisor> connect_host = env.hypervisor();
  // Written before anything is removed: a store that cannot be written (a
  // full state dir) stops the destroy here, not after libvirt's objects are
  // gone and the store still lists them.
  RecordEvent(*store, context, "destroy", lab_name, "started",
              request.owner ? "World of " + *request.owner : "every World");

  std::set<std::string> all_owners;
  for (const auto& [owner, host] : host_of) all_owners.insert(owner);
  std::set<std::string> owners;
  if (request.owner) {
    owners.insert(*request.owner);
    all_owners.insert(*request.owner);
  } else {
    owners = all_owners;
  }
  WorldLocks world_locks = LockWorlds(context.state_dir, lab_name, owners, "worlds destroy");
  std::map<std::string, std::set<std::string>> owners_on;  // host -> owners to destroy there
  for (const std::string& owner : owners) owners_on[host_of[owner]].insert(owner);

  int removed_domains = 0, removed_networks = 0, kept = 0, deleted = 0;
  std::vector<std::string> not_reached;
  size_t left = 0;  // Worlds whose host could not be reached
  for (const auto& [host, here] : owners_on) {
    std::unique_ptr<virt::Hypervisor> remote;
    Disks* disks = nullptr;
    try {
      if (!host.empty()) remote = hosts.Connect(host);
      disks = &hosts.DisksOf(host);
    } catch (const core::Error& e) {
      not_reached.push_back(std::to_string(here.size()) + " World(s) on " +
                            hosts.Describe(host) + ": " + e.Describe());
      left += here.size();
      continue;
    }
    virt::Hypervisor& hypervisor = host.empty() ? *connect_host : *remote;
    const std::string storage = hosts.StorageDir(host);
    // What libvirt has there, attributed to owners: covers VMs and networks
    // that the store never recorded (a deploy killed before its first write).
    std::map<std::string, std::set<std::string>> domains, networks;
    for (const std::string& name : hypervisor.ListDomains(core::LabObjectPrefix(lab_name))) {
      if (auto owner = OwnerOf(name, lab_name, all_owners)) domains[*owner].insert(name);
    }
    for (const std::string& name : hypervisor.ListNetworks(core::LabObjectPrefix(lab_name))) {
      if (auto owner = OwnerOf(name, lab_name, all_owners)) networks[*owner].insert(name);
    }
    for (const std::string& owner : here) {
      std::set<std::string> overlays, logs;
      for (const store::VmRecord& vm : store->Vms(lab_name, owner)) {
        domains[owner].insert(vm.domain);
        overlays.insert(vm.overlay);
        logs.insert(core::ConsoleLogPath(storage, lab_name, owner, vm.vm));
      }
      if (lab) {
        for (const core::LabVm& vm : lab->vms) {
          domains[owner].insert(core::DomainName(lab_name, owner, vm.name));
          overlays.insert(core::OverlayPath(storage, lab_name, owner, vm.name));
          logs.insert(core::ConsoleLogPath(storage, lab_name, owner, vm.name));
        }
        for (const core::LabNetwork& net : lab->networks) {
          networks[owner].insert(core::NetworkName(lab_name, owner, net.name));
        }
      }
      for (const std::string& domain : domains[owner]) {
        if (hypervisor.DomainExists(domain)) {
          hypervisor.RemoveDomain(domain);
          ++removed_domains;
          core::FailPoint("destroy-domain");
        }
      }
      for (const std::string& network : networks[owner]) {
        if (hypervisor.NetworkExists(network)) {
          hypervisor.RemoveNetwork(network);
          ++removed_networks;
        }
      }
      std::string dir = core::OverlayDir(storage, lab_name, owner);
      if (request.delete_student_data && hosts.IsLocal(host)) {
        if (std::filesystem::exists(dir)) {
          for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            deleted += entry.path().extension() == ".qcow2";
          }
          std::filesystem::remove_all(dir);
        }
      } else if (request.delete_student_data) {
        // Files on another host: each one the World has, through its disks.
        for (const std::string& overlay : overlays) {
          if (!disks->Exists(overlay)) continue;
          disks->Remove(overlay);
          ++deleted;
        }
        for (const std::string& log : logs) disks->Remove(log);
        try {
          disks->Remove(dir);  // empty now, unless something else was put there
        } catch (const core::Error&) {
        }
      } else {
        for (const std::string& overlay : overlays) kept += disks->Exists(overlay);
      }
      store->RemoveWorld(lab_name, owner);
      // Last, so that a partition still in use (it should not be: its
      // domains are gone) fails a destroy that has done the rest; a re-run
      // finishes it.
      hypervisor.RemovePartition(core::WorldPartition(lab_name, owner));
    }
  }
  std::string detail = std::to_string(owners.size() - left) + " World(s): " +
                       std::to_string(removed_domains) + " domain(s), " +
                       std::to_string(removed_networks) + " network(s) removed";
  out << "Destroyed lab '" << lab_name << "' for " << detail << ".\n";
  if (request.delete_student_data) {
    out << "Deleted " << deleted << " overlay(s) (--delete-student-data).\n";
  } else if (kept > 0) {
    out << "Kept " << kept << " student overlay(s) "
        << (owners_on.size() == 1 && owners_on.count("")
                ? "under " + context.state_dir + "/worlds/" + lab_name
                : std::string("in the Worlds' directories on their hosts"))
        << " (a new deploy picks them up; --delete-student-data deletes them).\n";
  }
  if (!not_reached.empty()) {
    std::string text;
    for (const std::string& line : not_reached) text += (text.empty() ? "" : "; ") + line;
    RecordEvent(*store, context, "destroy", lab_name, "error",
                detail + "; not reached: " + text);
    throw core::Error("not destroyed, their host cannot be reached: " + text, "lab " + lab_name,
                      "run the destroy again once the host is back");
  }
  RecordEvent(*store, context, "destroy", lab_name, "ok",
              detail + (request.delete_student_data ? ", student data deleted" : ""));
}

}  // namespace deploy

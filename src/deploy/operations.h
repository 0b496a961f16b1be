// The instructor's operations, end to end: deploy a lab to a roster, show
// status, destroy. Each validates first and changes nothing on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "capacity/plan_fit.h"
#include "config/roster_parser.h"
#include "deploy/env.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

// Where and as whom a command runs; from the global CLI options.
struct Context {
  std::string state_dir = "/var/lib/worlds";
  std::string image_dir;  // empty: <state_dir>/images
  std::string connect = "qemu:///system";
  std::string accel = "qemu";
  int jobs = 1;
  bool tty = false;
  std::string worker_exe;  // this binary
  std::string guestfs_backend;
  std::string guestfs_settings;
  int64_t uid = -1;        // who runs it, for events
  std::string actor;
  // The deploy's capacity check and, in .budget, the admission rule every
  // start passes (settings::CapacityPlanPolicy); the
  // defaults are the settings' defaults.
  capacity::PlanPolicy capacity;
  // Each World's domains in a resource partition of its own (cpu-partitions).
  bool cpu_partitions = true;

  std::string ImageDir() const;
};

struct DeployRequest {
  std::string lab_file;
  std::string roster_file;
  std::optional<std::string> group;
  config::WorldsPer per = config::WorldsPer::kStudent;
  bool dry_run = false;
  // VMs the lab no longer has are removed even when their overlay holds
  // student data (without it, those are kept and reported).
  bool delete_student_data = false;
  std::string report_file;  // when set: a JSON report of the run (benchmarks)
};

// One events row of `action` on `target` by context's uid and actor.
void RecordEvent(store::Store& store, const Context& context, const std::string& action,
                 const std::string& target, const std::string& result,
                 const std::string& detail);

// The operations reach libvirt, libguestfs, workers and disks only through
// `env` (RealEnv(context) for the real ones).

// Returns true when every VM is deployed. Throws core::Error on invalid
// input (with every diagnostic in the message) or an unusable host.
bool Deploy(const Context& context, const Env& env, const DeployRequest& request,
            std::ostream& out);

struct DestroyRequest {
  std::string lab_file;
  std::optional<std::string> owner;
  bool delete_student_data = false;
};
void Destroy(const Context& context, const Env& env, const DestroyRequest& request,
             std::ostream& out);

// `worlds status`: deploy/status.h.
struct StatusRequest {
  std::optional<std::string> lab;
  std::optional<std::string> owner;
};

}  // namespace deploy

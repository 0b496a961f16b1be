// Runs a Plan: splits its Worlds over worker processes (process::Spawn, through the Env),
// shows live progress, records each VM's phase in the store, and sums up.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "deploy/env.h"
#include "deploy/plan.h"
#include "deploy/protocol.h"
#include "store/store.h"

namespace deploy {

// The workers of one lab host of the inventory.
struct HostWorkers {
  WorkerLauncher launch;
  WorkerConfig config;
};

struct ExecOptions {
  int jobs = 1;             // worker processes at most, on each host
  std::string log_dir;      // workers' stderr goes to files here
  WorkerConfig config;      // for Worlds on the connect host (host "")
  bool tty = false;         // live progress line instead of plain lines
  // By WorldPlan::host: where the Worlds of each lab host are built. The
  // connect host's ("") are env.launch_worker's with `config`.
  std::map<std::string, HostWorkers> hosts;
};

struct Summary {
  int worlds = 0;          // Worlds in the plan
  int vms = 0;             // VMs in the plan
  int done = 0;            // VMs built or re-defined now
  int up_to_date = 0;      // VMs that needed nothing
  int workers = 0;
  int launches = 0;        // libguestfs appliance launches
  int drives = 0;          // drives over all launches
  std::vector<int> drives_per_launch;
  std::map<std::string, double> phase_seconds;  // longest worker per phase;
                                                // "record": the parent's store writes
  long worker_max_rss_kib = 0;                  // the largest worker's peak RSS
  std::vector<std::string> failures;            // "domain (phase): message"
  double seconds = 0;
  bool ok() const { return failures.empty(); }
};

// Splits the Worlds that have work (a VM to build or adopt, or networks to
// make: WorldPlan::make_networks) into at most `jobs` batches of whole
// Worlds, balanced by the number of VMs to build. Pure; for tests.
std::vector<std::vector<WorldPlan>> SplitWorlds(const Plan& plan, int jobs);

// Executes `plan` with workers from env.launch_worker, or for a World on
// a lab host, from that host's launcher in options.hosts (a host missing
// there fails its Worlds' VMs, the others go on). VMs' phases are
// written to `store` as they arrive (its Worlds and lab rows must exist).
// Never throws for a VM's or a worker's failure (one that cannot start,
// dies, or reports nonsense), nor for a VM the plan refused: those are in
// Summary::failures. Throws the first store error, after every worker has
// ended.
Summary Execute(const Plan& plan, const ExecOptions& options, const Env& env,
                store::Store& store, std::ostream& out);

// "Deployed ...": the closing lines of a deploy.
std::string DescribeSummary(const Summary& summary, uint64_t disk_bytes);

}  // namespace deploy

// A deploy::WorkerLauncher whose workers are threads of the test process:
// each runs deploy::RunBatch over the Env's factories and disks (fakes),
// and talks to the executor in the real protocol (the batch and every
// message go through their JSON encoding). Workers run one at a time, as
// the fakes are not thread-safe. Faults: a worker that cannot start, and a
// worker killed after writing some messages (SIGKILL: nothing more is
// written, and nothing more is done).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "deploy/env.h"
#include "hosts/inventory.h"

namespace fakes {

class InProcessWorkers {
 public:
  // `env` gives the workers their hypervisor, customizer and disks; it must
  // outlive every worker launched.
  explicit InProcessWorkers(const deploy::Env& env) : env_(env) {}

  // The launcher to put in Env::launch_worker.
  deploy::WorkerLauncher Launcher();

  // The `nth` launch from now on (0: the next one) throws core::Error with
  // `message`, as a worker that cannot be spawned.
  void FailStart(int nth, const std::string& message);
  // Every later worker is killed once it has written `messages` messages
  // (negative: never), or with `phase`, `messages` "phase" messages of that
  // phase ("ready": after that many VMs were reported ready; the next one's
  // snapshot is taken, its report never written). A killed worker reports
  // "was killed by signal 9 (Killed)".
  void KillAfter(int messages, const std::string& phase = "");

  int launched();

  // When set, a worker's hypervisor is by_connect(its batch's connect), as
  // a worker on a lab host connects to that host's libvirt; else
  // env.hypervisor(). Set before launching.
  hosts::Connector by_connect;

 private:
  const deploy::Env& env_;
  std::mutex mu_;         // guards the fields below
  std::mutex run_mu_;     // one worker runs at a time
  int launched_ = 0;
  int fail_at_ = -1;
  std::string fail_message_;
  int kill_after_ = -1;
  std::string kill_phase_;
};

}  // namespace fakes

// The admin's actions on deployed VMs, run as root straight over libvirt (no
// broker): revert to `clean`, start, stop. VMs come from state.db; each
// action on a VM is an events row.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "deploy/env.h"
#include "deploy/lab_hosts.h"
#include "deploy/operations.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

enum class AdminAction { kRevert, kStart, kStop };

struct ActionRequest {
  std::string lab;                   // a lab file or a lab name
  std::optional<std::string> owner;  // only this owner's World
  std::optional<std::string> vm;     // only this VM (in each selected World)
  bool all = false;                  // revert: the whole lab (instead of --owner)
  bool force = false;                // stop: power off instead of ACPI shutdown
};

// The lab's name: config::ReadLabName for a file, else `lab_or_file` when it
// is a valid lab name. Throws core::Error otherwise.
std::string ResolveLabName(const std::string& lab_or_file);

// How a RunVmAction went, VM by VM.
struct ActionTotals {
  int total = 0;  // VMs selected
  int ok = 0;     // done (or nothing to do: "already ...")
  int busy = 0;   // refused: a deploy or destroy was changing their World
  bool AllOk() const { return ok == total; }
  // Every VM that did not succeed was refused by a World's lock: the
  // host was busy (cli's kExitEnvironment), not the action failing.
  bool OnlyBusy() const { return busy > 0 && ok + busy == total; }
};

// Runs `action` on every selected VM through VmActions (one events row per
// VM, as the broker's actions) with context.jobs threads (each with its own
// connection per lab host from `connect`, by each VM's host), showing progress on `out` (a redrawn line
// when context.tty, else one line per VM) and a summary with the time.
// Start of a running VM and stop of a shut-off one succeed ("already ...").
// A VM whose World a deploy or destroy is changing is refused (its World's
// lock, deploy/lock.h) and counted busy; a failing VM is reported and the
// others go on. Throws core::Error before touching anything when the lab,
// owner or VM is unknown (with a did-you-mean and the known ones), or when
// revert is given neither an owner nor `all`; throws core::Error after the
// summary when some events rows could not be written (a full state dir),
// naming the store and the cause.
ActionTotals RunVmAction(const Context& context, store::Store& store,
                         const HostHypervisorFactory& connect, AdminAction action,
                         const ActionRequest& request, std::ostream& out);

}  // namespace deploy

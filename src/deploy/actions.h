// The admin's actions on deployed VMs, run as root straight over libvirt (no
// broker): revert to `clean`, start, stop, and the audit trail. VMs come
// from state.db; each action on a VM is an events row.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "deploy/env.h"
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

// Runs `action` on every selected VM with context.jobs threads (each with
// its own connection from `connect`), showing progress on `out` (a redrawn
// line when context.tty, else one line per VM) and a summary with the time.
// Start of a running VM and stop of a shut-off one are no-ops ("already
// ..."). Returns true when every VM succeeded; a failing VM is reported and
// the others go on. Throws core::Error before touching anything when the
// lab, owner or VM is unknown (with a did-you-mean and the known ones), or
// when revert is given neither an owner nor `all`.
bool RunVmAction(const Context& context, store::Store& store, const HypervisorFactory& connect,
                 AdminAction action, const ActionRequest& request, std::ostream& out);

struct EventsRequest {
  std::optional<std::string> owner;  // by or about this user (store::EventFilter)
  std::optional<std::string> since;  // ISO 8601 prefix, e.g. 2024-05-01
  int limit = 50;
  bool json = false;
};

// Prints the matching events, oldest first: a table, or a JSON array.
void ShowEvents(store::Store& store, const EventsRequest& request, std::ostream& out);

}  // namespace deploy

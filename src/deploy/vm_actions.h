// The one meaning of each action on one recorded VM, whoever asks for it:
// the admin's `worlds start|stop|revert` (deploy/actions.h) and the broker,
// for a student or an admin, both call VmActions. Each action holds its
// World's lock shared (deploy/lock.h), so it is refused, never interleaved,
// while a deploy or destroy changes that World, and writes exactly one
// events row.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "deploy/admission.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

enum class VmOp {
  kStart,     // a running VM: "already running", success; admitted first (Admission)
  kShutdown,  // ACPI; a shut-off VM: "already shut off", success
  kPowerOff,  // a shut-off VM: "already shut off", success
  kRevert,    // to core::kCleanSnapshot; a running VM ends shut off
};

// How the events row names the action. The broker has always written its
// protocol op ("shutdown", "poweroff"), the admin CLI its command ("stop"
// for both); both spellings are kept, mapped in one table (EventAction), so
// audit trails and the queries over them read on.
enum class Spelling { kProtocol, kCommand };
const char* EventAction(VmOp op, Spelling spelling);

// Who acts, for the events row.
struct Actor {
  int64_t uid = -1;
  std::string name;
  Spelling spelling = Spelling::kProtocol;
  // Why the action is taken, for the events row's detail when a rule acts
  // ("lab 'netlab' closed", "idle for 30 min"); empty for a person's action.
  std::string why{};
};

struct VmOutcome {
  // "ok"; "error" (the hypervisor failed, e.g. no such domain); "refused"
  // (a deploy or destroy is changing the VM's World, or the host is full:
  // nothing was done).
  std::string result;
  // What happened in words ("started", "already running", "reverted to
  // clean (was running)"), or the error or refusal a person reads.
  std::string detail;
  // virt::ToString of the VM's state afterwards; "" when not ok.
  std::string state;
  // Set when the events row could not be written; the action's outcome
  // stands, and the caller reports this (the admin CLI after its threads,
  // the broker in its log).
  std::optional<core::Error> unrecorded;

  bool ok() const { return result == "ok"; }
};

// Writes one events row; throws core::Error when it cannot.
using EventRecorder = std::function<void(const store::Event&)>;

class VmActions {
 public:
  // `hypervisor` and `record` are used on the calling thread only; callers
  // that share them between threads serialize the calls to Run (the broker
  // holds its hypervisor mutex, and `record` takes its store mutex). Both
  // must outlive this object.
  VmActions(std::string state_dir, virt::Hypervisor& hypervisor, EventRecorder record,
            Admission admission);

  // Runs `op` on `vm` as `actor` and records it. Hypervisor and lock
  // failures are the outcome, not exceptions.
  VmOutcome Run(VmOp op, const store::VmRecord& vm, const Actor& actor);

 private:
  std::string state_dir_;
  virt::Hypervisor& hypervisor_;
  EventRecorder record_;
  Admission admission_;
};

// The outcome of `op` on `vm` that could not even be tried (no hypervisor
// connection): an "error" with `why`, recorded as VmActions::Run would.
VmOutcome RecordUntried(const EventRecorder& record, VmOp op, const store::VmRecord& vm,
                        const Actor& actor, const std::string& why);

}  // namespace deploy

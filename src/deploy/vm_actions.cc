#include "deploy/vm_actions.h"

#include <utility>

#include "core/failpoint.h"
#include "core/names.h"
#include "deploy/lock.h"

namespace deploy {
namespace {

struct OpNames {
  VmOp op;
  const char* protocol;
  const char* command;
};

// The one table of how each action is spelled in events (see Spelling).
constexpr OpNames kOpNames[] = {
    {VmOp::kStart, "start", "start"},
    {VmOp::kShutdown, "shutdown", "stop"},
    {VmOp::kPowerOff, "poweroff", "stop"},
    {VmOp::kRevert, "revert", "revert"},
};

// What the action did, in words. Throws core::Error from the hypervisor.
std::string Act(virt::Hypervisor& hypervisor, const Admission& admission,
                const std::string& state_dir, VmOp op, const store::VmRecord& vm) {
  const std::string& domain = vm.domain;
  switch (op) {
    case VmOp::kRevert: {
      // libvirt reverts a running domain too; `clean` was taken shut off,
      // so the VM ends shut off either way.
      bool was_running = hypervisor.State(domain) == virt::DomainState::kRunning;
      hypervisor.RevertToSnapshot(domain, core::kCleanSnapshot);
      return std::string("reverted to ") + core::kCleanSnapshot +
             (was_running ? " (was running)" : "");
    }
    case VmOp::kStart: {
      if (hypervisor.State(domain) == virt::DomainState::kRunning) return "already running";
      StartReservation reserved = AdmitStart(hypervisor, admission, state_dir, vm);
      hypervisor.Start(domain);
      return "started";
    }
    case VmOp::kShutdown:
    case VmOp::kPowerOff:
      if (hypervisor.State(domain) == virt::DomainState::kShutOff) return "already shut off";
      if (op == VmOp::kPowerOff) {
        hypervisor.PowerOff(domain);
        return "powered off";
      }
      hypervisor.Shutdown(domain);
      return "shutdown requested (ACPI)";
  }
  return "";
}

// Writes the events row of `outcome`, keeping a failure in it.
void Record(const EventRecorder& record, VmOp op, const store::VmRecord& vm,
            const Actor& actor, VmOutcome* outcome) {
  store::Event event;
  event.uid = actor.uid;
  event.actor = actor.name;
  event.action = EventAction(op, actor.spelling);
  event.target = vm.domain;
  event.result = outcome->result;
  event.detail = actor.why.empty() ? outcome->detail : actor.why + ": " + outcome->detail;
  try {
    record(event);
  } catch (const core::Error& e) {
    outcome->unrecorded = e;
  }
}

}  // namespace

const char* EventAction(VmOp op, Spelling spelling) {
  for (const OpNames& names : kOpNames) {
    if (names.op == op) return spelling == Spelling::kProtocol ? names.protocol : names.command;
  }
  return "?";
}

VmActions::VmActions(std::string state_dir, virt::Hypervisor& hypervisor, EventRecorder record,
                     Admission admission)
    : state_dir_(std::move(state_dir)),
      hypervisor_(hypervisor),
      record_(std::move(record)),
      admission_(std::move(admission)) {}

VmOutcome VmActions::Run(VmOp op, const store::VmRecord& vm, const Actor& actor) {
  VmOutcome outcome;
  try {
    WorldLock lock(state_dir_, vm.lab, vm.owner, WorldLock::Mode::kShared, "");
    outcome.detail = Act(hypervisor_, admission_, state_dir_, op, vm);
    outcome.result = "ok";
    if (op == VmOp::kRevert) core::FailPoint("revert-vm");
  } catch (const NotAdmitted& e) {
    outcome.result = "refused";
    outcome.detail = e.message();
  } catch (const WorldBusy& e) {
    outcome.result = "refused";
    outcome.detail = e.Describe();
  } catch (const core::Error& e) {
    outcome.result = "error";
    outcome.detail = e.Describe();
  }
  if (outcome.ok()) {
    try {
      outcome.state = virt::ToString(hypervisor_.State(vm.domain));
    } catch (const core::Error&) {
      // Done, but the state cannot be read back: the action's outcome
      // stands and the state is told as unknown ("").
      outcome.state.clear();
    }
  }
  Record(record_, op, vm, actor, &outcome);
  return outcome;
}

VmOutcome RecordUntried(const EventRecorder& record, VmOp op, const store::VmRecord& vm,
                        const Actor& actor, const std::string& why) {
  VmOutcome outcome;
  outcome.result = "error";
  outcome.detail = why;
  Record(record, op, vm, actor, &outcome);
  return outcome;
}

}  // namespace deploy

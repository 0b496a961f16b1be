#include "deploy/vm_actions.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
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

// A start the admission rule turned down; the outcome is "refused".
class NotAdmitted : public core::Error {
 public:
  using Error::Error;
};

// Holds <state-dir>/admission.lock exclusively: flock(2), so released by the
// kernel if the holder dies, and exclusive between threads of one process
// too (each takes its own open file description).
class AdmissionLock {
 public:
  explicit AdmissionLock(const std::string& state_dir) {
    std::string path = (std::filesystem::path(state_dir) / "admission.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      throw core::Error(std::string("cannot open the admission lock: ") + std::strerror(errno),
                        path);
    }
    // Held for one check and one virDomainCreate: waiting is short.
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd_);
      throw core::Error(std::string("cannot take the admission lock: ") + std::strerror(saved),
                        path);
    }
  }
  ~AdmissionLock() { ::close(fd_); }
  AdmissionLock(const AdmissionLock&) = delete;
  AdmissionLock& operator=(const AdmissionLock&) = delete;

 private:
  int fd_ = -1;
};

// Throws NotAdmitted when starting `domain` would break the rule. Reads the
// host as it is now: every domain's memory (Worlds' or not) and the owner's
// running VMs.
void Admit(virt::Hypervisor& hypervisor, const Admission& admission,
           const store::VmRecord& vm) {
  std::vector<virt::DomainUsage> domains = hypervisor.Usage("");
  virt::DomainUsage self;
  self.name = vm.domain;
  int owner_running = 0;
  std::set<std::string> owned;
  if (admission.owner_domains) {
    for (std::string& d : admission.owner_domains(vm.owner)) owned.insert(std::move(d));
  }
  for (const virt::DomainUsage& d : domains) {
    if (d.name == vm.domain) {
      self = d;
    } else if (owned.count(d.name) && d.state != virt::DomainState::kShutOff) {
      ++owner_running;
    }
  }
  if (self.memory_mib == 0) self.memory_mib = hypervisor.Size(vm.domain).memory_mib;
  if (std::optional<capacity::Refusal> refused =
          capacity::Admit(admission.policy, hypervisor.Host(), domains, self, owner_running)) {
    throw NotAdmitted(refused->message);
  }
}

// What the action did, in words. Throws core::Error from the hypervisor.
std::string Act(virt::Hypervisor& hypervisor, const Admission& admission, const std::string& state_dir,
                VmOp op, const store::VmRecord& vm) {
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
      AdmissionLock lock(state_dir);
      Admit(hypervisor, admission, vm);
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
  event.detail = outcome->detail;
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

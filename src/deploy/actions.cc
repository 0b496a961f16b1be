#include "deploy/actions.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "core/thread_group.h"
#include "deploy/vm_actions.h"

namespace deploy {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string Known(const std::string& word, const std::set<std::string>& names,
                  const std::string& kind) {
  std::vector<std::string> list(names.begin(), names.end());
  std::string known;
  for (const std::string& name : list) known += (known.empty() ? "" : ", ") + name;
  std::string guess = core::Spellcheck(word, list);
  return (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "known " + kind + ": " +
         (known.empty() ? "none" : known);
}

const char* Verb(AdminAction action) {
  switch (action) {
    case AdminAction::kRevert: return "revert";
    case AdminAction::kStart: return "start";
    case AdminAction::kStop: return "stop";
  }
  return "?";
}

// The VMs the request names, or core::Error before anything is touched.
std::vector<store::VmRecord> Select(store::Store& store, const std::string& lab,
                                    AdminAction action, const ActionRequest& request) {
  std::vector<store::VmRecord> vms = store.Vms(lab, std::nullopt);
  if (vms.empty()) {
    std::set<std::string> labs;
    for (const store::WorldRecord& world : store.Worlds(std::nullopt, std::nullopt)) {
      labs.insert(world.lab);
    }
    throw core::Error("no Worlds of lab '" + lab + "' are deployed", "",
                      Known(lab, labs, "labs"));
  }
  if (request.owner && request.all) {
    throw core::InputError("--owner and --all exclude each other", lab,
                      "give --owner U for one World, or --all for the whole lab");
  }
  if (action == AdminAction::kRevert && !request.owner && !request.all) {
    throw core::InputError("revert needs --owner U (one World) or --all (the whole lab)", lab,
                      "reverting loses the students' changes, so say whose");
  }
  if (request.owner) {
    std::set<std::string> owners;
    for (const store::VmRecord& vm : vms) owners.insert(vm.owner);
    if (!owners.count(*request.owner)) {
      throw core::InputError("no World owned by '" + *request.owner + "'", lab,
                        Known(*request.owner, owners, "owners"));
    }
    vms.erase(std::remove_if(vms.begin(), vms.end(),
                             [&](const store::VmRecord& vm) { return vm.owner != *request.owner; }),
              vms.end());
  }
  if (request.vm) {
    std::set<std::string> names;
    for (const store::VmRecord& vm : vms) names.insert(vm.vm);
    if (!names.count(*request.vm)) {
      throw core::InputError("no VM '" + *request.vm + "'" +
                            (request.owner ? " in the World of '" + *request.owner + "'" : ""),
                        lab, Known(*request.vm, names, "VMs"));
    }
    vms.erase(std::remove_if(vms.begin(), vms.end(),
                             [&](const store::VmRecord& vm) { return vm.vm != *request.vm; }),
              vms.end());
  }
  return vms;
}

// Progress of many VMs done by several threads; every method is called
// with the caller's mutex held.
class ActionProgress {
 public:
  ActionProgress(std::ostream& out, const char* verb, int total, bool tty)
      : out_(out), verb_(verb), total_(total), tty_(tty), start_(Clock::now()) {
    Draw();
  }

  void Done(const std::string& domain, bool ok, const std::string& detail) {
    ++done_;
    failed_ += !ok;
    if (tty_) out_ << "\r\033[K";
    if (!ok) {
      out_ << "FAILED " << domain << ": " << detail << "\n";
    } else if (!tty_) {
      out_ << "[" << verb_ << "] " << done_ << "/" << total_ << " " << domain << ": " << detail
           << " (" << Seconds(Elapsed()) << ")\n";
    }
    Draw();
  }

  void Finish() {
    if (tty_) out_ << "\r\033[K";
    out_ << std::flush;
  }

  double Elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;

  void Draw() {
    if (!tty_) return;
    double elapsed = Elapsed();
    std::string eta = done_ > 0 && done_ < total_
                          ? Seconds(elapsed / done_ * (total_ - done_))
                          : "?";
    out_ << "[" << verb_ << "] " << done_ << "/" << total_ << " VMs"
         << (failed_ ? "  failed " + std::to_string(failed_) : "") << "  elapsed "
         << Seconds(elapsed) << "  ETA " << eta << std::flush;
  }

  std::ostream& out_;
  const char* verb_;
  int total_;
  bool tty_;
  int done_ = 0;
  int failed_ = 0;
  Clock::time_point start_;
};

std::string Summary(AdminAction action, bool force, int ok, int total, const std::string& lab,
                    double seconds, int jobs) {
  std::string what = action == AdminAction::kRevert ? "Reverted"
                     : action == AdminAction::kStart ? "Started"
                     : force                      ? "Powered off"
                                                  : "Shut down";
  std::string line = what + " " + std::to_string(ok) + "/" + std::to_string(total) +
                     " VM(s) of lab '" + lab + "'" +
                     (action == AdminAction::kRevert ? std::string(" to ") + core::kCleanSnapshot
                                                  : "") +
                     " in " + Seconds(seconds) + " (" + std::to_string(jobs) + " job(s))";
  if (ok < total) line += "; " + std::to_string(total - ok) + " failed";
  return line + ".";
}

}  // namespace

std::string ResolveLabName(const std::string& lab_or_file) {
  if (std::filesystem::is_regular_file(lab_or_file)) {
    if (std::optional<std::string> name = config::ReadLabName(lab_or_file)) return *name;
    throw core::InputError("no valid `lab:` name in this file", lab_or_file,
                      "give a lab file or the lab's name");
  }
  if (!core::IsValidName(lab_or_file)) {
    throw core::InputError("no lab file or lab name '" + lab_or_file + "'", "",
                      "give the lab's YAML file or its name");
  }
  return lab_or_file;
}

namespace {

VmOp OpOf(AdminAction action, bool force) {
  switch (action) {
    case AdminAction::kRevert: return VmOp::kRevert;
    case AdminAction::kStart: return VmOp::kStart;
    case AdminAction::kStop: return force ? VmOp::kPowerOff : VmOp::kShutdown;
  }
  return VmOp::kStart;
}

}  // namespace

ActionTotals RunVmAction(const Context& context, store::Store& store,
                         const HostHypervisorFactory& connect, AdminAction action,
                         const ActionRequest& request, std::ostream& out) {
  const std::string lab = ResolveLabName(request.lab);
  std::vector<store::VmRecord> vms = Select(store, lab, action, request);
  const VmOp op = OpOf(action, request.force);
  const Actor actor{context.uid, context.actor, Spelling::kCommand};

  ActionTotals totals;
  totals.total = static_cast<int>(vms.size());
  const int jobs = std::max(1, std::min(context.jobs, totals.total));
  std::mutex mu;  // guards progress, out, totals, unrecorded and the store
  std::vector<core::Error> unrecorded;
  ActionProgress progress(out, Verb(action), totals.total, context.tty);
  EventRecorder record = [&](const store::Event& event) {
    std::lock_guard<std::mutex> hold(mu);
    store.AddEvent(event);
  };
  Admission admission = StoreAdmission(context.capacity.budget, store, mu);
  std::atomic<size_t> next{0};
  auto work = [&] {
    // One connection per lab host a VM of this thread lives on, opened
    // when its first VM comes; a host that cannot be reached fails its
    // VMs, each reported, never the others'.
    struct HostConnection {
      std::unique_ptr<virt::Hypervisor> hypervisor;
      std::optional<VmActions> actions;
      std::string error;
    };
    std::map<std::string, HostConnection> connections;
    for (size_t i; (i = next.fetch_add(1)) < vms.size();) {
      const store::VmRecord& vm = vms[i];
      auto [it, fresh] = connections.try_emplace(vm.host);
      HostConnection& host = it->second;
      if (fresh) {
        try {
          host.hypervisor = connect(vm.host);
          host.actions.emplace(context.state_dir, *host.hypervisor, record, admission);
        } catch (const core::Error& e) {
          host.error = e.Describe();
        }
      }
      VmOutcome outcome = host.actions ? host.actions->Run(op, vm, actor)
                                       : RecordUntried(record, op, vm, actor, host.error);
      std::lock_guard<std::mutex> hold(mu);
      totals.ok += outcome.ok();
      totals.busy += outcome.result == "refused";
      if (outcome.unrecorded) unrecorded.push_back(*outcome.unrecorded);
      progress.Done(vm.domain, outcome.ok(), outcome.detail);
    }
  };
  {
    // Joined before anything below reads what the threads wrote, whatever
    // they threw; an escaped exception is rethrown here, not std::terminate.
    core::ThreadGroup threads;
    for (int t = 0; t < jobs; ++t) threads.Spawn(work);
    threads.Join();
    progress.Finish();
    out << Summary(action, request.force, totals.ok, totals.total, lab, progress.Elapsed(), jobs)
        << "\n";
    threads.RethrowFirst();
  }
  if (!unrecorded.empty()) {
    const core::Error& first = unrecorded.front();
    throw core::Error("cannot record events: " + first.message() + "; " +
                          std::to_string(unrecorded.size()) + " of the " +
                          std::to_string(totals.total) +
                          " actions above are missing from the audit trail",
                      first.where(), first.fix());
  }
  return totals;
}

}  // namespace deploy

#include "deploy/actions.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "config/lab_parser.h"
#include "core/error.h"
#include "core/failpoint.h"
#include "core/names.h"
#include "deploy/lock.h"

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

// What one VM's action did, in words for the progress line and the event.
std::string Act(virt::Hypervisor& hypervisor, AdminAction action, bool force,
                const std::string& domain) {
  switch (action) {
    case AdminAction::kRevert: {
      // libvirt reverts a running domain too; `clean` was taken shut off,
      // so the VM ends shut off either way.
      bool was_running = hypervisor.State(domain) == virt::DomainState::kRunning;
      hypervisor.RevertToSnapshot(domain, core::kCleanSnapshot);
      return std::string("reverted to ") + core::kCleanSnapshot +
             (was_running ? " (was running)" : "");
    }
    case AdminAction::kStart:
      if (hypervisor.State(domain) == virt::DomainState::kRunning) return "already running";
      hypervisor.Start(domain);
      return "started";
    case AdminAction::kStop:
      if (hypervisor.State(domain) == virt::DomainState::kShutOff) return "already shut off";
      if (force) {
        hypervisor.PowerOff(domain);
        return "powered off";
      }
      hypervisor.Shutdown(domain);
      return "shutdown requested (ACPI)";
  }
  return "";
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

bool RunVmAction(const Context& context, store::Store& store, const HypervisorFactory& connect,
                 AdminAction action, const ActionRequest& request, std::ostream& out) {
  const std::string lab = ResolveLabName(request.lab);
  std::vector<store::VmRecord> vms = Select(store, lab, action, request);
  // Reverting is a change to the lab's disks, like deploy and destroy: one
  // at a time per state dir.
  std::optional<StateLock> lock;
  if (action == AdminAction::kRevert) lock.emplace(context.state_dir, "worlds revert");

  const int total = static_cast<int>(vms.size());
  const int jobs = std::max(1, std::min(context.jobs, total));
  std::mutex mu;  // guards progress, out and the store
  ActionProgress progress(out, Verb(action), total, context.tty);
  std::atomic<size_t> next{0};
  int ok = 0;
  auto work = [&] {
    std::unique_ptr<virt::Hypervisor> hypervisor;
    std::string no_connection;
    try {
      hypervisor = connect();
    } catch (const core::Error& e) {
      // This thread still claims VMs, so each is reported, not silently left.
      no_connection = e.Describe();
    }
    for (size_t i; (i = next.fetch_add(1)) < vms.size();) {
      const store::VmRecord& vm = vms[i];
      bool success = false;
      std::string detail = no_connection;
      if (hypervisor) {
        try {
          detail = Act(*hypervisor, action, request.force, vm.domain);
          success = true;
          if (action == AdminAction::kRevert) core::FailPoint("revert-vm");
        } catch (const core::Error& e) {
          detail = e.Describe();
        }
      }
      std::lock_guard<std::mutex> hold(mu);
      ok += success;
      progress.Done(vm.domain, success, detail);
      store::Event event;
      event.uid = context.uid;
      event.actor = context.actor;
      event.action = Verb(action);
      event.target = vm.domain;
      event.result = success ? "ok" : "error";
      event.detail = detail;
      store.AddEvent(event);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  progress.Finish();
  out << Summary(action, request.force, ok, total, lab, progress.Elapsed(), jobs) << "\n";
  return ok == total;
}

}  // namespace deploy

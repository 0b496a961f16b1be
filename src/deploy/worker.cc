#include "deploy/worker.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/names.h"
#include "deploy/identity.h"
#include "core/thread_group.h"

namespace deploy {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Emit, serialized: the define thread and the customize thread both report.
class Reporter {
 public:
  explicit Reporter(const Emit& emit) : emit_(emit) {}

  // A VM that already failed (its network, say, while the appliance was
  // still editing its disk) reports no later phase: its error is final.
  void Phase(const std::string& domain, const char* phase) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_.count(domain)) return;
    emit_({"phase", domain, phase, "", 0, 0});
  }
  void Failure(const std::string& domain, const char* phase,
               const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    failed_.insert(domain);
    emit_({"error", domain, phase, message, 0, 0});
  }
  void Timing(const char* phase, double seconds, int count = 0) {
    Send({"timing", "", phase, "", seconds, count});
  }
  void Identity(const std::string& domain, const guest::GuestEdit& edit) {
    Send({"identity", domain, "", PublicIdentityJson(edit.identity, edit.nics), 0, 0});
  }
  void Launch(int drives, double seconds) {
    Send({"launch", "", "customize", "", seconds, drives});
  }
  bool Failed(const std::string& domain) {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_.count(domain) > 0;
  }

 private:
  void Send(const Message& message) {
    std::lock_guard<std::mutex> lock(mu_);
    emit_(message);
  }
  const Emit& emit_;
  std::mutex mu_;
  std::set<std::string> failed_;
};

// "<overlay>.tmp-<pid>" files of workers killed while creating it.
void RemoveStaleTemporaries(const std::string& overlay) {
  std::filesystem::path path(overlay);
  std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;  // no directory yet: nothing stale
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

void MakeOverlays(const Batch& batch, virt::Hypervisor& hypervisor, Disks& disks,
                  Reporter& report) {
  Clock::time_point start = Clock::now();
  int count = 0;
  for (const WorldPlan& world : batch.worlds) {
    for (const VmPlan& vm : world.vms) {
      if (vm.action != VmAction::kBuild) continue;
      try {
        if (vm.remove_stale_domain) hypervisor.RemoveDomain(vm.domain);
        // The plan only builds over an overlay that has no `clean`
        // snapshot: it was never booted and holds no student data.
        disks.Remove(vm.overlay);
        RemoveStaleTemporaries(vm.overlay);
        disks.CreateOverlay(vm.base, vm.base_format, vm.overlay);
        ++count;
        report.Phase(vm.domain, "overlay");
      } catch (const std::exception& e) {
        report.Failure(vm.domain, "overlay", e.what());
      }
    }
  }
  report.Timing("overlays", Since(start), count);
}

void Customize(const Batch& batch, guest::Customizer& customizer,
               Reporter& report) {
  Clock::time_point identity_start = Clock::now();
  std::vector<guest::GuestEdit> edits;
  std::vector<std::string> domains;
  for (const WorldPlan& world : batch.worlds) {
    for (const VmPlan& vm : world.vms) {
      if (vm.action != VmAction::kBuild || report.Failed(vm.domain)) continue;
      guest::GuestEdit edit = vm.edit;
      try {
        // Made here, on the host, for this clone alone: never the base's.
        edit.identity = NewIdentity(edit.os, "root@" + edit.hostname);
      } catch (const std::exception& e) {
        report.Failure(vm.domain, "customize", e.what());
        continue;
      }
      edits.push_back(std::move(edit));
      domains.push_back(vm.domain);
    }
  }
  if (edits.empty()) return;
  report.Timing("identity", Since(identity_start), static_cast<int>(edits.size()));
  Clock::time_point start = Clock::now();
  try {
    std::vector<guest::EditResult> results = customizer.Apply(edits);
    guest::ApplyStats stats = customizer.last_stats();
    report.Launch(static_cast<int>(edits.size()),
                  stats.drives > 0 ? stats.launch_seconds : Since(start));
    if (stats.drives > 0) {
      report.Timing("appliance-launch", stats.launch_seconds);
      report.Timing("appliance-edits", stats.edit_seconds);
      report.Timing("appliance-shutdown", stats.shutdown_seconds);
    }
    for (size_t i = 0; i < domains.size(); ++i) {
      if (i < results.size() && results[i].ok) {
        report.Identity(domains[i], edits[i]);
        report.Phase(domains[i], "customized");
      } else {
        report.Failure(domains[i], "customize",
                       i < results.size() ? results[i].error
                                          : "no result from the customizer");
      }
    }
  } catch (const std::exception& e) {
    for (const std::string& domain : domains) {
      report.Failure(domain, "customize", e.what());
    }
  }
  report.Timing("customize", Since(start), static_cast<int>(edits.size()));
}

void Define(const Batch& batch, virt::Hypervisor& hypervisor, Reporter& report) {
  Clock::time_point start = Clock::now();
  int count = 0;
  for (const WorldPlan& world : batch.worlds) {
    std::string network_error;
    try {
      for (const virt::NetworkSpec& net : world.networks) {
        hypervisor.EnsureNetwork(net);
      }
    } catch (const std::exception& e) {
      network_error = e.what();
    }
    for (const VmPlan& vm : world.vms) {
      if (!NeedsWork(vm.action) || report.Failed(vm.domain)) continue;
      if (!network_error.empty()) {
        report.Failure(vm.domain, "define", network_error);
        continue;
      }
      try {
        if (vm.action == VmAction::kAdopt && vm.remove_stale_domain) {
          // A new definition over the student's overlay; the plan saw the
          // VM shut off, but a student may have started it since.
          if (hypervisor.State(vm.domain) != virt::DomainState::kShutOff) {
            throw core::Error("the VM was started after the plan was made; it keeps its "
                              "old definition",
                              vm.domain, "re-run deploy once it is shut off");
          }
          hypervisor.RemoveDomain(vm.domain);
        }
        hypervisor.DefineDomain(vm.spec);
        ++count;
        report.Phase(vm.domain, "defined");
      } catch (const std::exception& e) {
        report.Failure(vm.domain, "define", e.what());
      }
    }
  }
  report.Timing("define", Since(start), count);
}

void Snapshot(const Batch& batch, virt::Hypervisor& hypervisor,
              Reporter& report) {
  Clock::time_point start = Clock::now();
  int count = 0;
  for (const WorldPlan& world : batch.worlds) {
    for (const VmPlan& vm : world.vms) {
      if (!NeedsWork(vm.action)) continue;
      if (report.Failed(vm.domain)) {
        // Leave only complete VMs defined; a built overlay holds no student
        // data. An adopted VM keeps what it has: its overlay has `clean`,
        // so a re-run adopts it again, and it may be a running VM.
        if (vm.action != VmAction::kBuild) continue;
        try {
          hypervisor.RemoveDomain(vm.domain);
        } catch (const std::exception&) {
          // The VM is already reported failed; a re-run cleans it up.
        }
        continue;
      }
      try {
        if (vm.action == VmAction::kAdopt) {
          hypervisor.AdoptSnapshot(vm.domain, core::kCleanSnapshot);
        } else {
          hypervisor.CreateSnapshot(vm.domain, core::kCleanSnapshot);
        }
        ++count;
        report.Phase(vm.domain, "ready");
        core::FailPoint("worker-snapshot");
      } catch (const std::exception& e) {
        report.Failure(vm.domain, "snapshot", e.what());
      }
    }
  }
  report.Timing("snapshot", Since(start), count);
}

}  // namespace

void RunBatch(const Batch& batch, virt::Hypervisor& hypervisor,
              guest::Customizer& customizer, Disks& disks, const Emit& emit) {
  Reporter report(emit);
  MakeOverlays(batch, hypervisor, disks, report);
  core::FailPoint("worker-after-overlays");
  // The appliance's boot dominates; define networks and domains meanwhile.
  // Each thread uses its own handle (libvirt here, libguestfs there).
  std::exception_ptr define_fault;
  {
    // Joined even when Customize throws: a joinable thread left behind
    // would end the worker with std::terminate instead of a "fatal".
    core::ThreadGroup define_thread;
    define_thread.Spawn([&] {
      try {
        Define(batch, hypervisor, report);
      } catch (...) {
        define_fault = std::current_exception();
      }
    });
    Customize(batch, customizer, report);
  }
  if (define_fault) std::rethrow_exception(define_fault);
  core::FailPoint("worker-after-define");
  Snapshot(batch, hypervisor, report);
}

namespace {

// Over SSH the worker's parent is sshd, not the deploy: the deploy is gone
// when the read end of our stdout is (poll reports POLLERR on a pipe whose
// reader closed, POLLHUP on a socket). Between two progress lines (an
// appliance launch takes seconds) no write would tell, so a thread watches.
void DieWithTheReader() {
  std::thread([] {
    for (;;) {
      struct pollfd out = {STDOUT_FILENO, 0, 0};
      int n = ::poll(&out, 1, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (out.revents & (POLLERR | POLLHUP | POLLNVAL))) {
        std::cerr << "worlds worker: nothing reads my output any more (the deploy or its "
                     "connection is gone): stopping\n";
        ::kill(::getpid(), SIGKILL);
      }
    }
  }).detach();
}

}  // namespace

int WorkerMain(int parent) {
  // A worker never outlives its parent: a killed deploy must not leave
  // workers changing disks and domains under the re-run that follows.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent == kOverSsh) {
    DieWithTheReader();
  } else if (::getppid() != parent) {
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)),
                    std::istreambuf_iterator<char>());
  Emit emit = [](const Message& message) {
    std::cout << EncodeMessage(message) << "\n" << std::flush;
  };
  try {
    Batch batch = DecodeBatch(input);
    if (!batch.config.failpoint.empty()) {
      // Before the first failpoint is reached, which reads it once.
      ::setenv("WORLDS_FAILPOINT", batch.config.failpoint.c_str(), /*overwrite=*/0);
    }
    std::unique_ptr<virt::Hypervisor> hypervisor =
        virt::NewLibvirtHypervisor(batch.config.connect);
    guest::GuestfsOptions options;
    options.backend = batch.config.guestfs_backend;
    options.backend_settings = batch.config.guestfs_settings;
    std::unique_ptr<guest::Customizer> customizer =
        guest::NewGuestfsCustomizer(options);
    std::unique_ptr<Disks> disks = NewQemuImgDisks();
    RunBatch(batch, *hypervisor, *customizer, *disks, emit);
    struct rusage usage;
    if (::getrusage(RUSAGE_SELF, &usage) == 0) {
      emit({"usage", "", "", "", 0, static_cast<int>(usage.ru_maxrss)});  // KiB
    }
    return 0;
  } catch (const std::exception& e) {
    emit({"fatal", "", "", e.what(), 0, 0});
    return 1;
  }
}

}  // namespace deploy

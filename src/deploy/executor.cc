#include "deploy/executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/thread_group.h"
#include "deploy/progress.h"

namespace deploy {

std::vector<std::vector<WorldPlan>> SplitWorlds(const Plan& plan, int jobs) {
  std::vector<const WorldPlan*> todo;
  for (const WorldPlan& world : plan.worlds) {
    if (world.make_networks) {
      todo.push_back(&world);
      continue;
    }
    for (const VmPlan& vm : world.vms) {
      if (NeedsWork(vm.action)) {
        todo.push_back(&world);
        break;
      }
    }
  }
  // Largest first onto the least loaded batch: near-even appliance sizes.
  std::stable_sort(todo.begin(), todo.end(), [](const WorldPlan* a, const WorldPlan* b) {
    return a->CountAction(VmAction::kBuild) > b->CountAction(VmAction::kBuild);
  });
  int n = std::max(1, std::min<int>(jobs, static_cast<int>(todo.size())));
  std::vector<std::vector<WorldPlan>> batches(todo.empty() ? 0 : n);
  std::vector<int> load(batches.size(), 0);
  for (const WorldPlan* world : todo) {
    size_t least = std::min_element(load.begin(), load.end()) - load.begin();
    batches[least].push_back(*world);
    load[least] += world->CountAction(VmAction::kBuild) + 1;
  }
  return batches;
}

namespace {

struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<int, Message>> messages;  // (worker, message)
  int open_workers = 0;

  void Push(int worker, Message message) {
    std::lock_guard<std::mutex> lock(mu);
    messages.emplace_back(worker, std::move(message));
    cv.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu);
    --open_workers;
    cv.notify_one();
  }
};

store::VmPhase PhaseOf(const std::string& phase) {
  std::optional<store::VmPhase> parsed = store::ParsePhase(phase);
  return parsed ? *parsed : store::VmPhase::kPlanned;
}

}  // namespace

Summary Execute(const Plan& plan, const ExecOptions& options, const Env& env,
                store::Store& store, std::ostream& out) {
  Summary summary;
  summary.worlds = static_cast<int>(plan.worlds.size());
  summary.vms = plan.TotalVms();
  summary.up_to_date = plan.CountAction(VmAction::kNothing);

  std::map<std::string, const VmPlan*> by_domain;
  std::map<std::string, const WorldPlan*> world_of;
  for (const WorldPlan& world : plan.worlds) {
    for (const VmPlan& vm : world.vms) {
      by_domain[vm.domain] = &vm;
      world_of[vm.domain] = &world;
    }
  }
  double record_seconds = 0;
  // Domains are defined while the appliance still edits: "defined" can
  // arrive before "customized". The row keeps the furthest phase reached.
  std::map<std::string, store::VmPhase> furthest;
  auto record = [&](const std::string& domain, store::VmPhase phase) {
    auto [it, fresh] = furthest.emplace(domain, phase);
    if (!fresh) {
      if (phase <= it->second) return;
      it->second = phase;
    }
    auto start = std::chrono::steady_clock::now();
    const VmPlan* vm = by_domain.at(domain);
    store::VmRecord row;
    row.lab = plan.lab;
    row.owner = world_of.at(domain)->world.owner;
    row.vm = vm->vm;
    row.domain = vm->domain;
    row.overlay = vm->overlay;
    row.phase = phase;
    store.SetVm(row);
    record_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // Up-to-date VMs are recorded too, so the store converges with reality.
  store.InTransaction([&] {
    for (const auto& [domain, vm] : by_domain) {
      if (vm->action == VmAction::kNothing) record(domain, store::VmPhase::kReady);
    }
  });

  // Each host's Worlds in batches of their own, `jobs` at most per host:
  // a worker runs where its Worlds' disks are.
  std::map<std::string, Plan> by_host;
  for (const WorldPlan& world : plan.worlds) by_host[world.host].worlds.push_back(world);
  std::vector<std::vector<WorldPlan>> batches;
  for (const auto& [host, part] : by_host) {
    for (std::vector<WorldPlan>& batch : SplitWorlds(part, options.jobs)) {
      batches.push_back(std::move(batch));
    }
  }
  summary.workers = static_cast<int>(batches.size());
  // Refused VMs count as failed ones, so they belong to the total.
  int total = summary.vms - summary.up_to_date;
  Progress progress(out, total, options.tty);
  for (const auto& [domain, vm] : by_domain) {
    if (vm->action != VmAction::kRefused) continue;
    summary.failures.push_back(domain + " (plan): " + vm->change);
    progress.Failed(domain, "plan", vm->change);
  }

  Inbox inbox;
  std::vector<std::unique_ptr<WorkerProcess>> workers(batches.size());
  std::vector<std::string> host_of_batch(batches.size());
  std::vector<std::set<std::string>> pending(batches.size());
  // A worker that cannot start fails its batch, never the run: its VMs are
  // reported below and the workers already started are drained as usual.
  std::vector<std::string> not_started(batches.size());
  std::filesystem::create_directories(options.log_dir);
  // Declared after everything its threads use, so that it is destroyed
  // (and joins them) first, whatever leaves this function.
  core::ThreadGroup readers;

  for (size_t i = 0; i < batches.size(); ++i) {
    for (const WorldPlan& world : batches[i]) {
      for (const VmPlan& vm : world.vms) {
        if (NeedsWork(vm.action)) pending[i].insert(vm.domain);
      }
    }
    const std::string& host = batches[i].front().host;
    host_of_batch[i] = host;
    Batch batch;
    batch.config = options.config;
    batch.worlds = batches[i];
    std::string log = options.log_dir + "/worker-" + std::to_string(i) + ".log";
    try {
      WorkerLauncher launch = env.launch_worker;
      if (!host.empty()) {
        auto found = options.hosts.find(host);
        if (found == options.hosts.end()) {
          throw core::Error("no workers for lab host '" + host + "'", host);
        }
        launch = found->second.launch;
        batch.config = found->second.config;
      }
      workers[i] = launch(batch, log);
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const core::Error*>(&e);
      not_started[i] = error ? error->Describe() : std::string("cannot start a worker: ") + e.what();
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(inbox.mu);
      ++inbox.open_workers;
    }
    WorkerProcess* worker = workers[i].get();
    readers.Spawn([worker, i, &inbox] {
      std::string line;
      while (worker->ReadLine(&line)) {
        try {
          inbox.Push(static_cast<int>(i), DecodeMessage(line));
        } catch (const core::Error& e) {
          inbox.Push(static_cast<int>(i), {"fatal", "", "", e.Describe(), 0, 0});
        }
      }
      inbox.Close();
    });
  }

  std::vector<std::string> fatal(batches.size());
  // A store that cannot be written (a full state dir) must not end this
  // loop by an exception: the reader threads and workers are still running,
  // and destroying a joinable std::thread calls std::terminate. The first
  // store error is kept, the workers are drained, and it is thrown after.
  std::exception_ptr store_error;
  for (;;) {
    std::unique_lock<std::mutex> lock(inbox.mu);
    inbox.cv.wait(lock, [&] { return !inbox.messages.empty() || inbox.open_workers == 0; });
    if (inbox.messages.empty()) break;
    auto [worker, message] = inbox.messages.front();
    inbox.messages.pop_front();
    lock.unlock();

    if (message.kind == "phase" && by_domain.count(message.domain)) {
      if (!store_error) {
        try {
          record(message.domain, PhaseOf(message.phase));
        } catch (...) {
          store_error = std::current_exception();
        }
      }
      core::FailPoint("deploy-record");
      progress.Reached(message.phase);
      if (message.phase == "ready") {
        pending[worker].erase(message.domain);
        ++summary.done;
      }
    } else if (message.kind == "error") {
      pending[worker].erase(message.domain);
      summary.failures.push_back(message.domain + " (" + message.phase +
                                 "): " + message.message);
      progress.Failed(message.domain, message.phase, message.message);
    } else if (message.kind == "identity" && by_domain.count(message.domain)) {
      if (!store_error) {
        try {
          store.SetVmIdentity(message.domain, message.message);
        } catch (...) {
          store_error = std::current_exception();
        }
      }
    } else if (message.kind == "launch") {
      ++summary.launches;
      summary.drives += message.count;
      summary.drives_per_launch.push_back(message.count);
    } else if (message.kind == "timing") {
      double& longest = summary.phase_seconds[message.phase];
      longest = std::max(longest, message.seconds);
    } else if (message.kind == "usage") {
      summary.worker_max_rss_kib = std::max<long>(summary.worker_max_rss_kib, message.count);
    } else if (message.kind == "fatal") {
      fatal[worker] = message.message;
    }
  }
  readers.Join();
  for (size_t i = 0; i < batches.size(); ++i) {
    std::string reason = not_started[i];
    if (workers[i]) {
      std::string how = workers[i]->Wait();
      std::string where =
          host_of_batch[i].empty() ? "" : " on lab host '" + host_of_batch[i] + "'";
      // ssh's own failure (the connection lost, the host gone) is 255, and
      // so is a worker killed there (ssh passes no signal on): its log,
      // which has the worker's last words, tells which.
      if (!host_of_batch[i].empty() && how == "exited with status 255") {
        how += ": ssh lost the connection to the host, or the worker was killed there";
      }
      reason = !fatal[i].empty() ? fatal[i]
                                 : "worker " + std::to_string(i) + where + " " + how +
                                       " (see " + options.log_dir + "/worker-" +
                                       std::to_string(i) + ".log)";
    }
    for (const std::string& domain : pending[i]) {
      summary.failures.push_back(domain + " (worker): " + reason);
      progress.Failed(domain, "worker", reason);
    }
  }
  progress.Finish();
  if (store_error) std::rethrow_exception(store_error);
  summary.seconds = progress.Elapsed();
  summary.phase_seconds["record"] = record_seconds;
  return summary;
}

std::string DescribeSummary(const Summary& summary, uint64_t disk_bytes) {
  auto fmt = [](double value, const char* unit) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f %s", value, unit);
    return std::string(buf);
  };
  std::ostringstream out;
  if (summary.done == 0 && summary.failures.empty()) {
    out << "Nothing to do: " << summary.worlds << " World(s), " << summary.vms
        << " VM(s) already deployed (" << fmt(summary.seconds, "s") << ").\n";
    return out.str();
  }
  out << (summary.ok() ? "Deployed " : "Deployed with failures: ")
      << summary.worlds << " World(s), " << summary.vms << " VM(s): "
      << summary.done << " built now, " << summary.up_to_date
      << " already up to date, " << summary.failures.size() << " failed, in "
      << fmt(summary.seconds, "s") << ".\n";
  out << "  phases (longest worker):";
  for (const char* phase : {"overlays", "customize", "define", "snapshot"}) {
    auto it = summary.phase_seconds.find(phase);
    if (it != summary.phase_seconds.end()) {
      out << " " << phase << " " << fmt(it->second, "s");
    }
  }
  out << "\n  " << summary.workers << " worker(s), " << summary.launches
      << " appliance launch(es) for " << summary.drives << " disk(s)\n";
  double mib = disk_bytes / (1024.0 * 1024.0);
  out << "  disk used by overlays: " << fmt(mib, "MiB");
  if (summary.worlds > 0) out << " (" << fmt(mib / summary.worlds, "MiB") << " per World)";
  out << "\n";
  for (const std::string& failure : summary.failures) {
    out << "  FAILED " << failure << "\n";
  }
  return out.str();
}

}  // namespace deploy

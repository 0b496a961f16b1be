#include "fakes/in_process_workers.h"

#include <condition_variable>
#include <deque>
#include <thread>

#include "core/error.h"
#include "deploy/protocol.h"
#include "deploy/worker.h"

namespace fakes {

namespace {

// Thrown through RunBatch when the worker is "killed": not a
// std::exception, so no handler of the worker takes it for a VM's failure.
struct Killed {};

class InProcessWorker : public deploy::WorkerProcess {
 public:
  InProcessWorker(const deploy::Env& env, hosts::Connector by_connect, std::mutex& run_mu,
                  const deploy::Batch& batch, int kill_after, const std::string& kill_phase)
      : kill_after_(kill_after), kill_phase_(kill_phase) {
    std::string encoded = deploy::EncodeBatch(batch);
    thread_ = std::thread([this, &env, by_connect, &run_mu, encoded] {
      std::lock_guard<std::mutex> one_at_a_time(run_mu);
      std::string how = "exited with status 0";
      try {
        deploy::Batch decoded = deploy::DecodeBatch(encoded);
        std::unique_ptr<virt::Hypervisor> hypervisor =
            by_connect ? by_connect(decoded.config.connect) : env.hypervisor();
        std::unique_ptr<guest::Customizer> customizer = env.customizer();
        deploy::RunBatch(decoded, *hypervisor, *customizer, *env.disks,
                         [this](const deploy::Message& m) { Write(m); });
      } catch (const Killed&) {
        how = "was killed by signal 9 (Killed)";
      } catch (const std::exception& e) {
        // As WorkerMain: the batch stops with a "fatal".
        try {
          Write({"fatal", "", "", e.what(), 0, 0});
          how = "exited with status 1";
        } catch (const Killed&) {
          how = "was killed by signal 9 (Killed)";
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      how_ = how;
      done_ = true;
      cv_.notify_all();
    });
  }
  ~InProcessWorker() override {
    if (thread_.joinable()) thread_.join();
  }

  bool ReadLine(std::string* line) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !lines_.empty() || done_; });
    if (lines_.empty()) return false;
    *line = lines_.front();
    lines_.pop_front();
    return true;
  }
  std::string Wait() override {
    if (thread_.joinable()) thread_.join();
    return how_;
  }

 private:
  void Write(const deploy::Message& message) {
    std::lock_guard<std::mutex> lock(mu_);
    bool counts = kill_phase_.empty() ||
                  (message.kind == "phase" && message.phase == kill_phase_);
    if (killed_ || (counts && kill_after_ >= 0 && written_ >= kill_after_)) {
      killed_ = true;  // a dead process writes nothing more
      throw Killed{};
    }
    lines_.push_back(deploy::EncodeMessage(message));
    written_ += counts;
    cv_.notify_all();
  }

  const int kill_after_;
  const std::string kill_phase_;
  bool killed_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  int written_ = 0;
  bool done_ = false;
  std::string how_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace

deploy::WorkerLauncher InProcessWorkers::Launcher() {
  return [this](const deploy::Batch& batch, const std::string& /*log_path*/) {
    int kill_after;
    std::string kill_phase;
    {
      std::lock_guard<std::mutex> lock(mu_);
      int n = launched_++;
      if (n == fail_at_) throw core::Error("cannot start a worker: " + fail_message_, "in-process");
      kill_after = kill_after_;
      kill_phase = kill_phase_;
    }
    return std::unique_ptr<deploy::WorkerProcess>(
        new InProcessWorker(env_, by_connect, run_mu_, batch, kill_after, kill_phase));
  };
}

void InProcessWorkers::FailStart(int nth, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = launched_ + nth;
  fail_message_ = message;
}

void InProcessWorkers::KillAfter(int messages, const std::string& phase) {
  std::lock_guard<std::mutex> lock(mu_);
  kill_after_ = messages;
  kill_phase_ = phase;
}

int InProcessWorkers::launched() {
  std::lock_guard<std::mutex> lock(mu_);
  return launched_;
}

}  // namespace fakes

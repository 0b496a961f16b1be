// Threads owned together: every thread is joined before the group goes
// away, and an exception a thread lets out is kept for the owner instead of
// ending the process (std::terminate). Used wherever work runs on several
// threads, so that an early return or a throw never leaves a joinable thread.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace core {

class ThreadGroup {
 public:
  ThreadGroup() = default;
  // Joins every thread still running (Join).
  ~ThreadGroup() { Join(); }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  // Runs `fn` on a new thread. What `fn` throws is caught and kept (errors()).
  // Throws std::system_error when no thread can be started; the threads
  // started before are still joined by Join or the destructor.
  void Spawn(std::function<void()> fn) {
    threads_.emplace_back([this, fn = std::move(fn)] {
      try {
        fn();
      } catch (...) {
        std::lock_guard<std::mutex> hold(mu_);
        errors_.push_back(std::current_exception());
      }
    });
  }

  // Waits for every thread. Idempotent; call it from the owning thread.
  void Join() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

  size_t size() const { return threads_.size(); }

  // What the threads threw, in the order they threw it. Complete after Join.
  std::vector<std::exception_ptr> errors() {
    std::lock_guard<std::mutex> hold(mu_);
    return errors_;
  }

  // After Join: rethrows the first exception a thread threw, if any.
  void RethrowFirst() {
    std::vector<std::exception_ptr> all = errors();
    if (!all.empty()) std::rethrow_exception(all.front());
  }

 private:
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace core

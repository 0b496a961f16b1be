// Threads that are always joined: a std::thread destroyed while joinable
// ends the process (std::terminate), so any early return or exception
// between starting threads and joining them must go through an owner that
// joins. Not thread-safe: one owner thread spawns and joins.
#pragma once

#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace core {

class ThreadGroup {
 public:
  ThreadGroup() = default;
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  // Joins every thread still running: never terminates the process.
  ~ThreadGroup() { JoinAll(); }

  // Starts `fn` on a new thread. `fn` should not throw: an exception that
  // leaves a thread's function ends the process, as with std::thread.
  void Spawn(std::function<void()> fn) { threads_.emplace_back(std::move(fn)); }

  // Waits for every thread started so far; the group can be reused.
  void JoinAll() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

  size_t size() const { return threads_.size(); }

 private:
  std::vector<std::thread> threads_;
};

}  // namespace core

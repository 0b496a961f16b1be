// One deploy (or destroy, or revert) at a time per state dir: an flock(2)
// on <state-dir>/deploy.lock, released by the kernel if the holder dies, so
// a killed deploy never leaves a stale lock behind.
#pragma once

#include <string>

namespace deploy {

class StateLock {
 public:
  // Takes the lock or throws core::Error saying who holds it.
  explicit StateLock(const std::string& state_dir, const std::string& what);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace deploy

// Locks of the state dir, all flock(2), released by the kernel if the holder
// dies, so a killed command never leaves a stale lock behind.
//
// StateLock: one deploy (or destroy) at a time per state dir, on
// <state-dir>/deploy.lock.
// WorldLock: one World (core::WorldLockPath). Deploy and destroy hold the
// World locks of every World they touch exclusively for their whole run
// (LockWorlds); an action on one VM (deploy::VmActions, for the admin and
// the broker alike) holds its World's lock shared, so actions on VMs run
// side by side but never in the middle of a deploy or destroy of their World.
// Exclusive holders write who they are into the lock file
// ("pid N: worlds deploy"), which is how a refusal names them.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/lab.h"

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

// A WorldLock was not granted because a deploy or destroy holds it; the
// message names the World and the holder, and says to try again.
class WorldBusy : public core::Error {
 public:
  using Error::Error;
};

class WorldLock {
 public:
  enum class Mode { kShared, kExclusive };

  // kShared: takes the lock at once or throws WorldBusy: "the World of
  // 'alice' in lab 'net101' is being changed by pid 1234: worlds deploy;
  // try again when it finishes".
  // kExclusive: waits up to `wait` for the actions on its VMs in flight
  // (they are short) to end, then writes "pid N: <what>" into the lock
  // file; throws WorldBusy naming the World when they do not end in time.
  // Both throw core::Error naming the path when the lock file cannot be
  // created or opened.
  WorldLock(const std::string& state_dir, const std::string& lab, const std::string& owner,
            Mode mode, const std::string& what,
            std::chrono::milliseconds wait = std::chrono::seconds(30));
  ~WorldLock();
  WorldLock(WorldLock&& other) noexcept;
  WorldLock& operator=(WorldLock&& other) noexcept;
  WorldLock(const WorldLock&) = delete;
  WorldLock& operator=(const WorldLock&) = delete;

 private:
  void Release() noexcept;

  int fd_ = -1;
  bool exclusive_ = false;
};

using WorldLocks = std::vector<WorldLock>;

// The World locks of `owners`' Worlds of `lab`, each exclusive (WorldLock),
// for a deploy or destroy (`what`, e.g. "worlds deploy") to hold for its
// whole run. Taken in name order; throws like WorldLock, releasing the ones
// already taken.
WorldLocks LockWorlds(const std::string& state_dir, const std::string& lab,
                      const std::set<std::string>& owners, const std::string& what);
WorldLocks LockWorlds(const std::string& state_dir, const std::string& lab,
                      const std::vector<core::World>& worlds, const std::string& what);

}  // namespace deploy

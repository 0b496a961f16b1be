#include "deploy/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/names.h"

namespace deploy {
namespace {

// Opens (creating) the lock file at `path`, its directories too.
int OpenLockFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) throw core::Error("cannot create the lock file's directory: " + ec.message(), path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw core::Error(std::string("cannot open the lock file: ") + std::strerror(errno), path);
  }
  return fd;
}

// Who wrote themselves into the lock file, or "another process".
std::string Holder(int fd) {
  char holder[128] = {0};
  ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
  std::string who = n > 0 ? std::string(holder, n) : "";
  while (!who.empty() && who.back() == '\n') who.pop_back();
  return who.empty() ? "another process" : who;
}

void WriteHolder(int fd, const std::string& what) {
  std::string me = "pid " + std::to_string(::getpid()) + ": " + what + "\n";
  if (::ftruncate(fd, 0) == 0) {
    (void)!::pwrite(fd, me.data(), me.size(), 0);
  }
}

std::string WorldOf(const std::string& lab, const std::string& owner) {
  return "the World of '" + owner + "' in lab '" + lab + "'";
}

}  // namespace

StateLock::StateLock(const std::string& state_dir, const std::string& what) {
  std::filesystem::create_directories(state_dir);
  std::string path = core::LockPath(state_dir);
  fd_ = OpenLockFile(path);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string who = Holder(fd_);
    ::close(fd_);
    fd_ = -1;
    throw core::Error("another worlds command is already changing this state dir (" +
                          who + ")",
                      state_dir, "wait for it to finish, then run " + what + " again");
  }
  WriteHolder(fd_, what);
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

WorldLock::WorldLock(const std::string& state_dir, const std::string& lab,
                     const std::string& owner, Mode mode, const std::string& what,
                     std::chrono::milliseconds wait)
    : exclusive_(mode == Mode::kExclusive) {
  fd_ = OpenLockFile(core::WorldLockPath(state_dir, lab, owner));
  if (!exclusive_) {
    if (::flock(fd_, LOCK_SH | LOCK_NB) == 0) return;
    std::string who = Holder(fd_);
    ::close(fd_);
    fd_ = -1;
    throw WorldBusy(WorldOf(lab, owner) + " is being changed by " + who +
                    "; try again when it finishes");
  }
  // Shared holders are single VM actions, seconds at most: wait them out
  // rather than fail a deploy, but never forever.
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd_);
      fd_ = -1;
      throw WorldBusy("an action on a VM of " + WorldOf(lab, owner) + " did not finish within " +
                          std::to_string(wait.count() / 1000) + " s",
                      core::WorldLockPath(state_dir, lab, owner),
                      "see `worlds events` for what runs on it, then run " + what + " again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  WriteHolder(fd_, what);
}

WorldLock::~WorldLock() { Release(); }

void WorldLock::Release() noexcept {
  if (fd_ < 0) return;
  // Emptied while still held, so that no refusal names a holder that is gone.
  if (exclusive_) (void)!::ftruncate(fd_, 0);
  ::close(fd_);  // closing releases the flock
  fd_ = -1;
}

WorldLock::WorldLock(WorldLock&& other) noexcept
    : fd_(other.fd_), exclusive_(other.exclusive_) {
  other.fd_ = -1;
}

WorldLock& WorldLock::operator=(WorldLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    exclusive_ = other.exclusive_;
    other.fd_ = -1;
  }
  return *this;
}

WorldLocks LockWorlds(const std::string& state_dir, const std::string& lab,
                      const std::set<std::string>& owners, const std::string& what) {
  WorldLocks locks;
  locks.reserve(owners.size());
  for (const std::string& owner : owners) {
    locks.emplace_back(state_dir, lab, owner, WorldLock::Mode::kExclusive, what);
  }
  return locks;
}

WorldLocks LockWorlds(const std::string& state_dir, const std::string& lab,
                      const std::vector<core::World>& worlds, const std::string& what) {
  std::set<std::string> owners;
  for (const core::World& world : worlds) owners.insert(world.owner);
  return LockWorlds(state_dir, lab, owners, what);
}

}  // namespace deploy

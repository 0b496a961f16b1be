#include "deploy/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/names.h"

namespace deploy {

StateLock::StateLock(const std::string& state_dir, const std::string& what) {
  std::filesystem::create_directories(state_dir);
  std::string path = core::LockPath(state_dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw core::Error(std::string("cannot open the lock file: ") + std::strerror(errno),
                      path);
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[128] = {0};
    ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    std::string who = n > 0 ? std::string(holder, n) : "another process";
    while (!who.empty() && (who.back() == '\n')) who.pop_back();
    ::close(fd_);
    fd_ = -1;
    throw core::Error("another worlds command is already changing this state dir (" +
                          who + ")",
                      state_dir, "wait for it to finish, then run " + what + " again");
  }
  std::string me = "pid " + std::to_string(::getpid()) + ": " + what + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    (void)!::pwrite(fd_, me.data(), me.size(), 0);
  }
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace deploy

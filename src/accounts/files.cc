#include "accounts/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.h"

namespace accounts {
namespace {

// Owns a file descriptor; closing never throws.
struct Fd {
  explicit Fd(int fd) : fd(fd) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd;
};

[[noreturn]] void ThrowErrno(const std::string& doing, const std::string& path) {
  throw core::Error("cannot " + doing + ": " + std::strerror(errno), path);
}

std::string ReadFd(int fd, const std::string& path) {
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("read", path);
    if (n == 0) return content;
    content.append(buf, static_cast<size_t>(n));
  }
}

void WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("write", path);
    done += static_cast<size_t>(n);
  }
}

void OwnAndMode(int fd, uint32_t uid, uint32_t gid, mode_t mode, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) ThrowErrno("stat", path);
  if ((st.st_uid != uid || st.st_gid != gid) && ::fchown(fd, uid, gid) != 0) {
    ThrowErrno("change the owner of", path);
  }
  if ((st.st_mode & 07777) != mode && ::fchmod(fd, mode) != 0) {
    ThrowErrno("change the mode of", path);
  }
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;  // unreadable counts as absent: the caller says so
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

std::optional<std::string> FindKeyFile(const std::string& keys_dir, const std::string& user) {
  for (const std::string& path :
       {keys_dir + "/" + user + ".pub", keys_dir + "/" + user + "/authorized_keys"}) {
    if (IsRegularFile(path)) return path;
  }
  return std::nullopt;
}

std::string ReadWholeFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) ThrowErrno("open", path);
  return ReadFd(fd.fd, path);
}

bool InstallAuthorizedKeys(const std::string& home, uint32_t uid, uint32_t gid,
                           const std::string& content) {
  // Every step is relative to a directory fd opened with O_NOFOLLOW: the home
  // belongs to the user, who could swap .ssh for a symlink to /etc.
  const std::string ssh = home + "/.ssh";
  const std::string keys = ssh + "/authorized_keys";
  Fd home_fd(::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (home_fd.fd < 0) ThrowErrno("open the home directory", home);
  if (::mkdirat(home_fd.fd, ".ssh", 0700) != 0 && errno != EEXIST) {
    ThrowErrno("create", ssh);
  }
  Fd ssh_fd(::openat(home_fd.fd, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (ssh_fd.fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      throw core::Error("is not a directory (a symlink or a file?)", ssh,
                        "remove it; users sync then creates the directory");
    }
    ThrowErrno("open", ssh);
  }
  OwnAndMode(ssh_fd.fd, uid, gid, 0700, ssh);

  Fd old(::openat(ssh_fd.fd, "authorized_keys", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (old.fd >= 0) {
    struct stat st;
    if (::fstat(old.fd, &st) == 0 && S_ISREG(st.st_mode) && ReadFd(old.fd, keys) == content) {
      OwnAndMode(old.fd, uid, gid, 0600, keys);
      return false;
    }
  }
  const char* tmp_name = "authorized_keys.worlds-new";
  // A leftover of an interrupted run; the name is ours.
  ::unlinkat(ssh_fd.fd, tmp_name, 0);
  {
    Fd tmp(::openat(ssh_fd.fd, tmp_name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (tmp.fd < 0) ThrowErrno("create", ssh + "/" + tmp_name);
    WriteAll(tmp.fd, content, keys);
    OwnAndMode(tmp.fd, uid, gid, 0600, keys);
    if (::fsync(tmp.fd) != 0) ThrowErrno("sync", keys);
  }
  // rename replaces whatever was there (even a symlink) without following it.
  if (::renameat(ssh_fd.fd, tmp_name, ssh_fd.fd, "authorized_keys") != 0) {
    ThrowErrno("replace", keys);
  }
  return true;
}

bool EnsureSymlink(const std::string& link, const std::string& target) {
  struct stat st;
  if (::lstat(link.c_str(), &st) == 0) {
    if (!S_ISLNK(st.st_mode)) return false;  // an installed copy: keep it
    std::error_code ec;
    std::filesystem::path current = std::filesystem::read_symlink(link, ec);
    if (!ec && current == target) return false;
    if (::unlink(link.c_str()) != 0) ThrowErrno("replace the symlink", link);
  } else if (errno != ENOENT) {
    ThrowErrno("stat", link);
  }
  if (::symlink(target.c_str(), link.c_str()) != 0) {
    ThrowErrno("create the symlink to " + target, link);
  }
  return true;
}

bool EnsureListedShell(const std::string& shells_file, const std::string& shell) {
  std::string text;
  if (IsRegularFile(shells_file)) text = ReadWholeFile(shells_file);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == shell) return false;
  }
  std::ofstream out(shells_file, std::ios::app);
  if (!text.empty() && text.back() != '\n') out << "\n";
  out << shell << "\n";
  out.close();
  if (!out) {
    throw core::Error("cannot append the menu shell to the list of login shells", shells_file,
                      "run as root");
  }
  return true;
}

}  // namespace accounts

#include "support/temp_dir.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "core/error.h"

namespace support {

TempDir::TempDir(const std::string& prefix, mode_t mode, const std::string& parent) {
  std::filesystem::path dir =
      parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
  const std::string pattern = (dir / (prefix + "XXXXXX")).string();
  std::string made = pattern;  // mkdtemp rewrites it, even when it fails
  if (::mkdtemp(made.data()) == nullptr) {
    throw core::Error(std::string("cannot create a temporary directory: ") + strerror(errno),
                      pattern);
  }
  path_ = made;
  if (::chmod(path_.c_str(), mode) != 0) {
    std::string why = strerror(errno);
    std::filesystem::remove(path_);
    throw core::Error("cannot set the mode of a temporary directory: " + why, path_);
  }
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: it lives in a temp directory
  std::filesystem::remove_all(path_, ec);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

}  // namespace support

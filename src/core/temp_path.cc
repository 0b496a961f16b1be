#include "core/temp_path.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"

namespace core {

namespace {

std::string Pattern(const std::string& prefix) {
  return (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
}

}  // namespace

TempPath TempPath::File(const std::string& prefix) {
  std::string path = Pattern(prefix);
  int fd = ::mkstemp(path.data());
  if (fd < 0) throw Error("cannot create a temporary file", path);
  ::close(fd);
  return TempPath(path);
}

TempPath TempPath::Dir(const std::string& prefix) {
  std::string path = Pattern(prefix);
  if (::mkdtemp(path.data()) == nullptr) throw Error("cannot create a temporary directory", path);
  return TempPath(path);
}

TempPath::~TempPath() {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: it lives in the temp directory
  std::filesystem::remove_all(path_, ec);
}

TempPath::TempPath(TempPath&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempPath& TempPath::operator=(TempPath&& other) noexcept {
  if (this != &other) {
    TempPath old(std::move(*this));
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

}  // namespace core

// A private temporary file or directory, removed (with its contents) when
// the owner goes out of scope. Move-only.
#pragma once

#include <string>

namespace core {

class TempPath {
 public:
  // A new empty file / directory "<temp dir>/<prefix>XXXXXX", mode 0600 /
  // 0700. Throws core::Error naming the path when it cannot be made.
  static TempPath File(const std::string& prefix);
  static TempPath Dir(const std::string& prefix);

  ~TempPath();
  TempPath(TempPath&& other) noexcept;
  TempPath& operator=(TempPath&& other) noexcept;
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace core

// A scoped temporary directory for tests: made fresh, removed with everything
// in it when its owner goes away. Unit tests take the defaults (private, under
// $TMPDIR); integration tests whose files QEMU reads pass mode 0755 and the
// parent "/tmp" (QEMU runs as another user, and tools/test sweeps
// /tmp/worlds-it-*). The code under test has core::TempPath for the same job;
// this one adds the mode and the parent, which core has no use for.
#pragma once

#include <sys/types.h>

#include <string>

namespace support {

class TempDir {
 public:
  // A new empty directory "<parent>/<prefix>XXXXXX" with `mode`. `parent`
  // empty means the temp directory ($TMPDIR, else /tmp). Throws core::Error
  // naming the path when it cannot be made.
  explicit TempDir(const std::string& prefix = "worlds-test-", mode_t mode = 0700,
                   const std::string& parent = "");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (nothing is created).
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace support

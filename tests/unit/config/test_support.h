// Helpers shared by the config unit tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/diagnostic.h"

namespace config::testing {

// The repository root, from this file's path: the tests read the real labs/.
inline std::string SourceDir() {
  return std::filesystem::path(__FILE__)
      .parent_path()
      .parent_path()
      .parent_path()
      .parent_path()
      .lexically_normal()
      .string();
}

// A fresh directory holding empty tiny.qcow2, tiny.vmlinuz and tiny.initrd,
// removed when the object goes away.
class TempImageDir {
 public:
  TempImageDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "worlds-config-test-XXXXXX")
            .string();
    path_ = mkdtemp(tmpl.data());
    for (const char* name : {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd"}) {
      std::ofstream(path_ + "/" + name);
    }
  }
  ~TempImageDir() { std::filesystem::remove_all(path_); }
  TempImageDir(const TempImageDir&) = delete;
  TempImageDir& operator=(const TempImageDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<std::string> Lines(const Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(d.ToString());
  return out;
}

}  // namespace config::testing

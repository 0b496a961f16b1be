// Helpers shared by the config unit tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "support/roster.h"
#include "support/temp_dir.h"

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
    for (const char* name : {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd"}) {
      support::WriteFile(dir_.File(name), "");
    }
  }

  const std::string& path() const { return dir_.path(); }

 private:
  support::TempDir dir_{"worlds-config-test-"};
};

inline std::vector<std::string> Lines(const Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(d.ToString());
  return out;
}

}  // namespace config::testing

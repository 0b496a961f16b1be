// A validation error with its place in a source file.
#pragma once

#include <string>
#include <vector>

#include "core/lab.h"

namespace config {

struct Diagnostic {
  core::SourcePos pos;
  std::string message;
  // "file:line:col: message"
  std::string ToString() const { return pos.ToString() + ": " + message; }
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace config

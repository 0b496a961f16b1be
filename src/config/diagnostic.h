// A validation error with its place in a source file.
#pragma once

#include <string>
#include <vector>

#include "core/lab.h"

namespace config {

struct Diagnostic {
  core::SourcePos pos;
  std::string message;
  // "file:line:col: message", or "file: message" when the line is unknown
  // (0), e.g. for an unreadable file.
  std::string ToString() const {
    if (pos.line == 0) return pos.file + ": " + message;
    return pos.ToString() + ": " + message;
  }
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace config

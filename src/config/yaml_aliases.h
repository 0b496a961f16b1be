// Private to config/: YAML aliases (`*name`) are refused in lab files.
// yaml-cpp expands each alias into a full copy, so a few hundred bytes of
// aliases of aliases become hundreds of thousands of VMs and diagnostics
// (found by tools/fuzz); a lab is short enough to write out.
#pragma once

#include <yaml-cpp/mark.h>

#include <optional>
#include <string>

namespace config::internal {

// The position of the first alias in `text`, if any. Syntax errors are
// left to the real parse (nullopt).
std::optional<YAML::Mark> FirstAlias(const std::string& text);

}  // namespace config::internal

// Lab definitions: labs/*.yaml read with yaml-cpp marks and validated in one
// pass that reports every error, each as file:line:col: message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "core/lab.h"

namespace config {

struct LabParseResult {
  std::optional<core::Lab> lab;  // set only when `errors` is empty
  Diagnostics errors;
};

// Parses and validates `text` as a lab read from `file_name`. Relative image
// files are resolved against `image_dir` (then against the lab file's own
// directory); an image that exists in neither is an error.
// Never throws for bad input: every problem is a Diagnostic.
LabParseResult ParseLab(const std::string& text, const std::string& file_name,
                        const std::string& image_dir);

// Reads `path` and calls ParseLab; an unreadable file is one Diagnostic.
LabParseResult ParseLabFile(const std::string& path,
                            const std::string& image_dir);

// Checks what depends on the roster: every World's expanded hostnames and
// IPs (valid, inside their network's CIDR, no clash inside one World).
Diagnostics CheckWorlds(const core::Lab& lab,
                        const std::vector<core::World>& worlds);

// The variables a pattern may use, for one VM in one World.
std::map<std::string, std::string> PatternVars(const core::Lab& lab,
                                               const core::World& world,
                                               const std::string& vm);

}  // namespace config

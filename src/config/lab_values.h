// Private to config/: checks of single lab values that need more than a
// type check (image files on disk, network CIDRs). Each returns the problem
// as the tail of a message, so the caller decides where it points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/lab.h"

namespace config::internal {

struct ResolvedFile {
  std::string path;     // absolute and normalised; empty when not found
  std::string problem;  // e.g. "not found in /a or /b (...)" when not found
};

// Finds `file` (non-empty): an absolute path must exist; a relative one is
// looked up in `image_dir` (when non-empty), then in `lab_dir`.
ResolvedFile ResolveFile(const std::string& file, const std::string& image_dir,
                         const std::string& lab_dir);

// Checks net->cidr and fills address and prefix. Returns the whole message
// when it is wrong (prefix stays 0, which tells later checks to skip it);
// `where` names the network, e.g. "network 'lan'".
std::optional<std::string> CheckCidr(const std::string& where,
                                     core::LabNetwork* net);

// Checks that `address` is a host address of `net` (whose CIDR is valid:
// prefix > 0). Returns the tail of the message when it is not, e.g. "is
// outside network 'lan' (10.10.0.0/24)" or "is the broadcast address of
// 'lan' (10.10.0.0/24)".
std::optional<std::string> CheckHostAddress(uint32_t address,
                                            const core::LabNetwork& net);

}  // namespace config::internal

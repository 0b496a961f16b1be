// Writing the files of one clone as a tar archive (libarchive), so the
// appliance unpacks them all, with owners and modes, in one call.
#pragma once

#include <string>
#include <vector>

#include "guest/changes.h"

namespace guest {

// Writes `files` to a new ustar/pax archive at `path`, every entry owned by
// root (0:0) with its mode, paths relative to "/". Throws core::Error with
// libarchive's message when it cannot.
void WriteTarArchive(const std::string& path, const std::vector<FileChange>& files);

}  // namespace guest

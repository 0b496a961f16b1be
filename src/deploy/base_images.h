// The base-image registry: every base a lab uses is recorded with its
// checksum; a base that changed under existing overlays is refused.
#pragma once

#include <optional>
#include <string>

#include "core/lab.h"
#include "deploy/env.h"
#include "store/store.h"

namespace deploy {

// Registers each of `lab`'s images (checksum computed only when the file's
// size or mtime differs from the record). Throws core::Error when a base
// changed and overlays over it (read through `disks`) are recorded in
// `store`. Makes each base read-only (mode 0444): nothing may write to it.
void CheckBaseImages(const core::Lab& lab, store::Store& store, Disks& disks);

// The recorded sha256 of the base at `path` while the file still has the
// recorded size and mtime (CheckBaseImages keeps them current), else nullopt.
std::optional<std::string> RecordedChecksum(store::Store& store, const std::string& path);

// Puts `lab`'s base images (and the kernel and initrd of one booted
// directly) on lab host `host` when it does not share this machine's files
// (access.copy_file set), each verified there by its sha256 before an
// overlay is made over it. Throws core::Error when the host has another
// file under the same name.
void PlaceBaseImages(const core::Lab& lab, const std::string& host, const HostAccess& access,
                     store::Store& store);

}  // namespace deploy

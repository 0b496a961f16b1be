// The base-image registry: every base a lab uses is recorded with its
// checksum; a base that changed under existing overlays is refused.
#pragma once

#include "core/lab.h"
#include "store/store.h"

namespace deploy {

// Registers each of `lab`'s images (checksum computed only when the file's
// size or mtime differs from the record). Throws core::Error when a base
// changed and overlays over it are recorded in `store`. Makes each base
// read-only (mode 0444): nothing may write to it.
void CheckBaseImages(const core::Lab& lab, store::Store& store);

}  // namespace deploy

// qcow2 overlays over read-only base images, and the facts about an image
// that deploy needs. The backing format is always explicit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace image {

struct ImageInfo {
  std::string format;                       // "qcow2", "raw", ...
  std::optional<std::string> backing_file;  // as recorded in the header
  std::optional<std::string> backing_format;
  uint64_t virtual_size = 0;
  uint64_t actual_size = 0;  // bytes allocated on the host
  std::vector<std::string> snapshots;  // internal snapshot names
};

// `qemu-img info --output=json -U`: throws core::Error when not an image.
ImageInfo Inspect(const std::string& path);

// Creates `overlay` (qcow2) backed by `base` with backing format
// `base_format`, making parent directories. Written to a temporary name and
// renamed, so a crash never leaves a half-made overlay at `overlay`.
// Throws core::Error when `overlay` exists or qemu-img fails.
void CreateOverlay(const std::string& base, const std::string& base_format,
                   const std::string& overlay);

// Writes `out` (qcow2, parent directory made): internal snapshot
// `snapshot` of the image at `path` as an image of its own, over the same
// backing file and format, that holds the snapshot's state both as its data
// and as an internal snapshot of the same name. How a running VM moves with
// its `clean`: live migration copies only the disk's current top layer into
// `out` (drive-mirror carries no snapshot table), over data it already had
// at the snapshot. Reads a disk in use (a snapshot's clusters never change).
// Written to a temporary name and renamed, like CreateOverlay. Throws
// core::Error when `out` exists, the image has no such snapshot or no
// backing file, or qemu-img fails.
void ExportSnapshot(const std::string& path, const std::string& snapshot,
                    const std::string& out);

// SHA-256 of a file's content, hex.
std::string Checksum(const std::string& path);

// Bytes a file really occupies on disk (st_blocks * 512), like `du`.
uint64_t AllocatedBytes(const std::string& path);

}  // namespace image

// A deploy::Disks for unit tests, without qemu-img: an "overlay" is a small
// text file at the real path (so directory listings, existence checks and
// removal behave as on a host), naming its base and its internal snapshots.
// Records calls, can fail any path, and can make a file unreadable.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "deploy/env.h"

namespace fakes {

class FakeHypervisor;

class FakeDisks : public deploy::Disks {
 public:
  // Every call, in order: "CreateOverlay <overlay>", "Remove <path>",
  // "HasClean <path>", "BackingFile <path>", "Checksum <path>", "ExportSnapshot <path>" (Exists, AllocatedBytes,
  // VirtualBytes and FreeBytes are not recorded).
  std::vector<std::string> calls();

  // What VirtualBytes answers for every image, and FreeBytes for every
  // path; tests may set them (before the flow runs).
  uint64_t virtual_bytes = 128ull << 20;
  uint64_t free_bytes = 1ull << 40;

  // Later calls naming `path` throw core::Error(message) after being
  // recorded; an empty `message` clears it.
  void FailOn(const std::string& path, const std::string& message);

  // Writes a fake overlay at `path` (parents made), with `clean` inside
  // when `clean`; for arranging a state dir.
  static void Write(const std::string& path, bool clean, const std::string& base = "");
  // Overwrites `path` with bytes that are no image (a half-written file).
  static void Corrupt(const std::string& path);

  // From now on a CreateSnapshot of `hypervisor` writes the snapshot into
  // the domain's overlay file, as libvirt's internal snapshots do.
  void Attach(FakeHypervisor& hypervisor);

  bool Exists(const std::string& path) override;
  // Throws core::Error like image::Inspect: "image file not found" for a
  // missing file, "not a qcow2 image" for one that is not a fake overlay.
  bool HasClean(const std::string& path) override;
  std::optional<std::string> BackingFile(const std::string& path) override;
  // Refuses an existing overlay with image::CreateOverlay's text, and a
  // base that does not exist.
  void CreateOverlay(const std::string& base, const std::string& base_format,
                     const std::string& overlay) override;
  void Remove(const std::string& path) override;
  uint64_t AllocatedBytes(const std::string& path) override;
  uint64_t VirtualBytes(const std::string& path) override;
  uint64_t FreeBytes(const std::string& path) override;
  // sha256sum of the file (a base image in tests is a real file).
  std::string Checksum(const std::string& path) override;
  // A fake overlay at `out` with the same base and `snapshot` in it;
  // refuses an existing `out` and a `path` without `snapshot`.
  void ExportSnapshot(const std::string& path, const std::string& snapshot,
                      const std::string& out) override;

 private:
  void Record(const std::string& call, const std::string& path);

  std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, std::string> failures_;
};

}  // namespace fakes

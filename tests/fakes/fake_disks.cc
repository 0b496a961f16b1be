#include "fakes/fake_disks.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/names.h"
#include "fakes/fake_hypervisor.h"
#include "image/overlay.h"

namespace fakes {

namespace {

constexpr const char* kMagic = "fake-qcow2";

// The lines of a fake overlay; throws like image::Inspect when unreadable.
std::vector<std::string> ReadOverlay(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw core::Error("image file not found", path);
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  if (lines.empty() || lines[0] != kMagic) {
    throw core::Error("qemu-img: Could not open '" + path + "': not a qcow2 image", path);
  }
  return lines;
}

}  // namespace

std::vector<std::string> FakeDisks::calls() {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void FakeDisks::FailOn(const std::string& path, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (message.empty()) {
    failures_.erase(path);
  } else {
    failures_[path] = message;
  }
}

void FakeDisks::Record(const std::string& call, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(call + " " + path);
  auto it = failures_.find(path);
  if (it != failures_.end()) throw core::Error(it->second, path);
}

void FakeDisks::Write(const std::string& path, bool clean, const std::string& base) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream file(path, std::ios::trunc);
  file << kMagic << "\nbacking " << base << "\n";
  if (clean) file << "snapshot " << core::kCleanSnapshot << "\n";
  if (!file) throw core::Error("cannot write a fake overlay", path);
}

void FakeDisks::Corrupt(const std::string& path) {
  std::ofstream file(path, std::ios::trunc);
  file << "QFI\xfb half-written";
}

void FakeDisks::Attach(FakeHypervisor& hypervisor) {
  hypervisor.snapshot_written = [](const std::string& disk, const std::string& snap) {
    if (disk.empty() || !std::filesystem::exists(disk)) return;
    std::ofstream file(disk, std::ios::app);
    file << "snapshot " << snap << "\n";
  };
}

bool FakeDisks::Exists(const std::string& path) { return std::filesystem::exists(path); }

bool FakeDisks::HasClean(const std::string& path) {
  Record("HasClean", path);
  for (const std::string& line : ReadOverlay(path)) {
    if (line == std::string("snapshot ") + core::kCleanSnapshot) return true;
  }
  return false;
}

std::optional<std::string> FakeDisks::BackingFile(const std::string& path) {
  Record("BackingFile", path);
  for (const std::string& line : ReadOverlay(path)) {
    if (line.rfind("backing ", 0) == 0 && line.size() > 8) return line.substr(8);
  }
  return std::nullopt;
}

void FakeDisks::CreateOverlay(const std::string& base, const std::string& base_format,
                              const std::string& overlay) {
  Record("CreateOverlay", overlay);
  if (std::filesystem::exists(overlay)) {
    throw core::Error("overlay already exists; refusing to overwrite it", overlay,
                      "delete it first only if losing the changes in it is intended");
  }
  if (!std::filesystem::exists(base)) {
    throw core::Error("base image not found (format " + base_format + ")", base);
  }
  Write(overlay, false, base);
}

void FakeDisks::Remove(const std::string& path) {
  Record("Remove", path);
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) throw core::Error("cannot remove the overlay: " + ec.message(), path);
}

uint64_t FakeDisks::AllocatedBytes(const std::string& path) {
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

uint64_t FakeDisks::VirtualBytes(const std::string&) {
  std::lock_guard<std::mutex> lock(mu_);
  return virtual_bytes;
}

uint64_t FakeDisks::FreeBytes(const std::string&) {
  std::lock_guard<std::mutex> lock(mu_);
  return free_bytes;
}

std::string FakeDisks::Checksum(const std::string& path) {
  Record("Checksum", path);
  return image::Checksum(path);  // sha256sum of the real file
}

void FakeDisks::ExportSnapshot(const std::string& path, const std::string& snapshot,
                               const std::string& out) {
  Record("ExportSnapshot", path);
  if (std::filesystem::exists(out)) {
    throw core::Error("overlay already exists; refusing to overwrite it", out);
  }
  std::string base;
  bool found = false;
  for (const std::string& line : ReadOverlay(path)) {
    if (line.rfind("backing ", 0) == 0) base = line.substr(8);
    if (line == "snapshot " + snapshot) found = true;
  }
  if (!found) throw core::Error("the image has no snapshot '" + snapshot + "'", path);
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream file(out, std::ios::trunc);
  file << kMagic << "\nbacking " << base << "\nsnapshot " << snapshot << "\n";
}

}  // namespace fakes

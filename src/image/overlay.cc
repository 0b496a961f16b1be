#include "image/overlay.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "process/process.h"

namespace image {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> OptionalString(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

[[noreturn]] void ThrowOverlayExists(const std::string& overlay) {
  throw core::Error("overlay already exists; refusing to overwrite it", overlay,
                    "delete it first only if losing the changes in it is intended");
}

// Moves `from` to `to` unless `to` exists, atomically where the filesystem
// allows: a concurrent creator of `to` is never overwritten.
void RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return;
  }
  int error = errno;
  if (error == EEXIST) ThrowOverlayExists(to);
  if (error == EINVAL || error == ENOSYS) {
    // The filesystem has no RENAME_NOREPLACE: CreateOverlay checked `to`
    // just before, so only a concurrent creator could be replaced.
    std::error_code ec;
    fs::rename(from, to, ec);
    if (!ec) return;
    error = ec.value();
  }
  throw core::Error("cannot rename the new overlay into place: " +
                        std::string(std::strerror(error)),
                    to);
}

}  // namespace

ImageInfo Inspect(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw core::Error("image file not found", path);
  std::string out = process::RunChecked({"qemu-img", "info", "--output=json", "-U", path});
  ImageInfo info;
  try {
    nlohmann::json report = nlohmann::json::parse(out);
    info.format = report.at("format").get<std::string>();
    info.backing_file = OptionalString(report, "backing-filename");
    info.backing_format = OptionalString(report, "backing-filename-format");
    info.virtual_size = report.value("virtual-size", uint64_t{0});
    info.actual_size = report.value("actual-size", uint64_t{0});
    if (auto snapshots = report.find("snapshots"); snapshots != report.end()) {
      for (const auto& snapshot : *snapshots) {
        info.snapshots.push_back(snapshot.at("name").get<std::string>());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw core::Error(std::string("cannot understand qemu-img info's report: ") + e.what(),
                      path, "check that qemu-utils is installed and recent");
  }
  return info;
}

void CreateOverlay(const std::string& base, const std::string& base_format,
                   const std::string& overlay) {
  std::error_code ec;
  // symlink_status: a dangling symlink at `overlay` counts as existing too.
  if (fs::exists(fs::symlink_status(overlay, ec))) ThrowOverlayExists(overlay);
  if (!fs::is_regular_file(base, ec)) {
    throw core::Error("base image not found", base, "check the lab's base image path");
  }
  if (base_format.empty()) {
    throw core::Error("the backing format of the base image is not known", base,
                      "register the base image so its format is recorded");
  }
  // The header records the path as given: absolute, so the overlay works
  // whatever the current directory of whoever opens it.
  std::string backing = fs::absolute(base).lexically_normal().string();

  fs::path parent = fs::path(overlay).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) {
      throw core::Error("cannot create the overlay's directory: " + ec.message(),
                        parent.string());
    }
  }
  std::string tmp = overlay + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp, ec);  // left by a crashed run that had our pid
  try {
    process::RunChecked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", base_format, "-b", backing,
                tmp});
    RenameNoReplace(tmp, overlay);
  } catch (...) {
    fs::remove(tmp, ec);  // best effort; the error being thrown is what matters
    throw;
  }
}

void ExportSnapshot(const std::string& path, const std::string& snapshot,
                    const std::string& out) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec))) ThrowOverlayExists(out);
  ImageInfo info = Inspect(path);
  if (std::find(info.snapshots.begin(), info.snapshots.end(), snapshot) ==
      info.snapshots.end()) {
    throw core::Error("the image has no snapshot '" + snapshot + "'", path);
  }
  if (!info.backing_file || !info.backing_format) {
    throw core::Error("the image has no backing file and format recorded", path,
                      "only overlays made by worlds can be exported this way");
  }
  fs::create_directories(fs::path(out).parent_path(), ec);
  std::string tmp = out + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp, ec);  // left by a crashed run that had our pid
  try {
    // -B: only the overlay's own clusters are written (zeroes too); the
    // rest reads from the base, as it did in the original.
    process::RunChecked({"qemu-img", "convert", "-q", "-U", "-l", "snapshot.name=" + snapshot,
                         "-O", "qcow2", "-B", *info.backing_file, "-F", *info.backing_format,
                         path, tmp});
    process::RunChecked({"qemu-img", "snapshot", "-q", "-c", snapshot, tmp});
    RenameNoReplace(tmp, out);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

std::string Checksum(const std::string& path) {
  std::string out = process::RunChecked({"sha256sum", "--", path});
  // sha256sum prefixes the line with '\' when it escapes the file name.
  size_t start = (!out.empty() && out[0] == '\\') ? 1 : 0;
  std::string hex = out.substr(start, 64);
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw core::Error("unexpected output from sha256sum: '" + out.substr(0, 80) + "'", path);
  }
  return hex;
}

uint64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw core::Error("cannot stat: " + std::string(std::strerror(errno)), path);
  }
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace image

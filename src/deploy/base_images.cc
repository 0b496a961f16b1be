#include "deploy/base_images.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "image/overlay.h"

namespace deploy {

namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool HasOverlaysOver(store::Store& store, Disks& disks, const std::string& base) {
  for (const store::VmRecord& vm : store.Vms(std::nullopt, std::nullopt)) {
    if (!disks.Exists(vm.overlay)) continue;
    std::optional<std::string> backing = disks.BackingFile(vm.overlay);
    if (backing && *backing == base) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> RecordedChecksum(store::Store& store, const std::string& path) {
  std::optional<store::BaseImageRecord> known = store.FindBaseImage(path);
  struct stat st;
  if (!known || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (known->size != st.st_size || known->mtime_ns != MtimeNs(st)) return std::nullopt;
  return known->checksum;
}

void CheckBaseImages(const core::Lab& lab, store::Store& store, Disks& disks) {
  for (const core::BaseImage& image : lab.images) {
    struct stat st;
    if (::stat(image.path.c_str(), &st) != 0) {
      throw core::Error(std::string("cannot read base image: ") + std::strerror(errno),
                        image.path, "build it with tools/build-test-image or fix the lab");
    }
    if (RecordedChecksum(store, image.path)) continue;
    std::optional<store::BaseImageRecord> known = store.FindBaseImage(image.path);
    std::string checksum = image::Checksum(image.path);
    if (known && known->checksum != checksum && HasOverlaysOver(store, disks, image.path)) {
      throw core::Error(
          "base image '" + image.name + "' changed since overlays were made over it",
          image.path,
          "restore the original file (sha256 " + known->checksum.substr(0, 12) +
              "…), or destroy the Worlds using it with --delete-student-data first");
    }
    // Overlays read their base; nothing may write it again.
    ::chmod(image.path.c_str(), st.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH));
    if (::stat(image.path.c_str(), &st) != 0) st.st_mtim = {};
    store.SetBaseImage({image.path, checksum, static_cast<int64_t>(st.st_size), MtimeNs(st)});
  }
}

void PlaceBaseImages(const core::Lab& lab, const std::string& host, const HostAccess& access,
                     store::Store& store) {
  if (!access.copy_file) return;
  for (const core::BaseImage& image : lab.images) {
    for (const std::string& path : {image.path, image.kernel, image.initrd}) {
      if (path.empty()) continue;
      std::optional<std::string> known = RecordedChecksum(store, path);
      std::string sha256 = known ? *known : image::Checksum(path);
      if (!access.disks->Exists(path)) access.copy_file(path, sha256);
      std::string theirs = access.disks->Checksum(path);
      if (theirs == sha256) continue;
      throw core::Error("lab host '" + host + "' has a different file under the name of " +
                            "image '" + image.name + "' (sha256 " + theirs.substr(0, 12) +
                            "… there, " + sha256.substr(0, 12) + "… here)",
                        path,
                        "give the image another name, or replace the host's copy with this "
                        "machine's");
    }
  }
}

}  // namespace deploy

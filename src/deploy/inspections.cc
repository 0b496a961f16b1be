#include "deploy/inspections.h"

#include <sys/stat.h>

#include "core/error.h"
#include "deploy/protocol.h"
#include "guest/inspector.h"

namespace deploy {

namespace {

// The recorded sha256 of `path` when the file still has the recorded size
// and mtime (CheckBaseImages keeps these current), else nullopt.
std::optional<std::string> KnownChecksum(store::Store& store, const std::string& path) {
  std::optional<store::BaseImageRecord> known = store.FindBaseImage(path);
  struct stat st;
  if (!known || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (known->size != st.st_size || known->mtime_ns != mtime_ns) return std::nullopt;
  return known->checksum;
}

}  // namespace

std::map<std::string, guest::OsInfo> InspectLabImages(const core::Lab& lab, store::Store* store,
                                                      bool record,
                                                      const guest::GuestfsOptions& options,
                                                      std::ostream& progress) {
  std::map<std::string, guest::OsInfo> found;
  std::vector<const core::BaseImage*> missing;
  std::vector<std::optional<std::string>> checksums;
  for (const core::BaseImage& image : lab.images) {
    std::optional<std::string> checksum;
    if (store) checksum = KnownChecksum(*store, image.path);
    if (checksum) {
      if (std::optional<std::string> report = store->FindInspection(*checksum)) {
        found[image.name] = DecodeOsInfo(*report);
        continue;
      }
    }
    missing.push_back(&image);
    checksums.push_back(checksum);
  }
  if (missing.empty()) return found;

  std::vector<guest::ImageRef> refs;
  std::string names;
  for (const core::BaseImage* image : missing) {
    refs.push_back({image->path, image->format});
    names += (names.empty() ? "" : ", ") + image->name;
  }
  progress << "Inspecting base image(s) " << names << " with libguestfs (once per image)...\n"
           << std::flush;
  std::vector<guest::OsInfo> results = guest::InspectImages(refs, options);
  for (size_t i = 0; i < missing.size(); ++i) {
    found[missing[i]->name] = results[i];
    if (record && store && checksums[i]) {
      store->SetInspection(*checksums[i], EncodeOsInfo(results[i]));
    }
  }
  return found;
}

void CheckCustomizable(const core::Lab& lab, const std::map<std::string, guest::OsInfo>& found) {
  std::string text;
  int count = 0;
  for (const core::BaseImage& image : lab.images) {
    auto it = found.find(image.name);
    if (it == found.end()) continue;
    std::string problem = guest::CustomizeProblem(it->second);
    if (problem.empty()) continue;
    if (!text.empty()) text += "\n";
    text += image.pos.ToString() + ": image '" + image.name + "' (" + image.path +
            ") cannot be used: " + problem;
    ++count;
  }
  if (count > 0) {
    throw core::InputError(text + "\n" + std::to_string(count) + " error(s) in " + lab.source_file +
                           "; nothing was changed");
  }
}

std::vector<std::string> ImageWarnings(const core::Lab& lab,
                                       const std::map<std::string, guest::OsInfo>& found) {
  std::vector<std::string> out;
  for (const core::BaseImage& image : lab.images) {
    auto it = found.find(image.name);
    if (it == found.end()) continue;
    guest::OsInfo os = it->second;
    if (!image.kernel.empty()) {
      // The lab boots its own kernel: its cmdline decides the console.
      os.serial_console = image.cmdline.find("console=ttyS0") != std::string::npos;
      os.boot_config = "the lab's cmdline";
    }
    for (const std::string& warning : guest::Warnings(os)) {
      out.push_back(image.pos.ToString() + ": warning: image '" + image.name + "': " + warning);
    }
  }
  return out;
}

}  // namespace deploy

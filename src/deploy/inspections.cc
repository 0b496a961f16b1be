#include "deploy/inspections.h"

#include "core/error.h"
#include "deploy/base_images.h"
#include "deploy/protocol.h"
#include "guest/inspector.h"

namespace deploy {

std::map<std::string, guest::OsInfo> InspectLabImages(const core::Lab& lab, store::Store* store,
                                                      bool record,
                                                      const guest::GuestfsOptions& options,
                                                      std::ostream& progress) {
  ImageInspector inspect = [&options](const std::vector<guest::ImageRef>& images) {
    return guest::InspectImages(images, options);
  };
  return InspectLabImages(lab, store, record, inspect, progress);
}

std::map<std::string, guest::OsInfo> InspectLabImages(const core::Lab& lab, store::Store* store,
                                                      bool record, const ImageInspector& inspect,
                                                      std::ostream& progress) {
  std::map<std::string, guest::OsInfo> found;
  std::vector<const core::BaseImage*> missing;
  std::vector<std::optional<std::string>> checksums;
  for (const core::BaseImage& image : lab.images) {
    std::optional<std::string> checksum;
    if (store) checksum = RecordedChecksum(*store, image.path);
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
  std::vector<guest::OsInfo> results = inspect(refs);
  if (results.size() != refs.size()) {
    throw core::Error("inspection returned " + std::to_string(results.size()) +
                      " result(s) for " + std::to_string(refs.size()) + " image(s)", names);
  }
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

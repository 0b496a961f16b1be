// Inspection of a lab's base images, paid once per distinct base: the
// result is kept in the store by the image's sha256.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "core/lab.h"
#include "deploy/env.h"
#include "guest/customizer.h"
#include "guest/os_info.h"
#include "store/store.h"

namespace deploy {

// Image name -> what its base holds. From the store for a base whose
// recorded size and mtime still match and whose sha256 was inspected
// before; the others are inspected now, all in one read-only appliance.
// With `record` the new results are kept in the store (their bases must be
// registered: CheckBaseImages); without it the store is only read (lab
// validate, dry runs). `store` may be null: everything is inspected.
// The others go to `inspect` (Env::inspect_images), all in one call.
// Says on `progress` when it inspects. Throws core::Error when `inspect`
// does (the appliance cannot launch).
std::map<std::string, guest::OsInfo> InspectLabImages(const core::Lab& lab, store::Store* store,
                                                      bool record, const ImageInspector& inspect,
                                                      std::ostream& progress);
// The same with libguestfs and `options`.
std::map<std::string, guest::OsInfo> InspectLabImages(const core::Lab& lab, store::Store* store,
                                                      bool record,
                                                      const guest::GuestfsOptions& options,
                                                      std::ostream& progress);

// Throws core::InputError naming, at its place in the lab file, every image
// Worlds cannot customize (no OS, several, not Linux, no network stack it
// knows) and why; nothing is changed.
void CheckCustomizable(const core::Lab& lab, const std::map<std::string, guest::OsInfo>& found);

// The lab's warnings about its images (no serial console, ...), one line
// each as "file:line:col: warning: image 'x': ...". An image booted with
// the lab's own kernel is judged by the lab's cmdline instead.
std::vector<std::string> ImageWarnings(const core::Lab& lab,
                                       const std::map<std::string, guest::OsInfo>& found);

}  // namespace deploy

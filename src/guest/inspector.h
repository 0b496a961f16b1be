// libguestfs inspection of base images: which operating system a disk
// holds, where its filesystems mount, and what Worlds needs to know to
// customize its clones (init, network stack, first-boot support, ...).
#pragma once

#include <string>
#include <vector>

#include "guest/customizer.h"
#include "guest/os_info.h"

namespace guest {

struct ImageRef {
  std::string path;
  std::string format;  // "" lets qemu probe
};

// Inspects each image (read-only; one appliance for all of them) and
// returns what it found, in order. A disk with no operating system gets
// type "none", one with several "several", and no mounts: CustomizeProblem
// says why such an image cannot be used. Throws core::Error when the
// appliance cannot launch or inspection itself fails.
std::vector<OsInfo> InspectImages(const std::vector<ImageRef>& images,
                                  const GuestfsOptions& options);

class GuestfsSession;

// Inspects disk `disk` ("/dev/sdb") of a launched appliance; as one entry
// of InspectImages. Leaves nothing mounted.
OsInfo InspectDisk(GuestfsSession& s, const std::string& disk);

// Mounts the guest described by `os` from disk `disk` ("/dev/sdb") at "/",
// filesystems in order; for an LVM guest first limits LVM to that disk.
void MountGuest(GuestfsSession& s, const OsInfo& os, const std::string& disk, bool readonly);
// Unmounts everything MountGuest mounted (and deactivates its volume groups).
void UnmountGuest(GuestfsSession& s, const OsInfo& os);

}  // namespace guest

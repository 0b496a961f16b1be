// The real Customizer: every disk of a batch in one libguestfs appliance,
// because under TCG a launch costs 10-30 s while the edits per disk cost
// well under a second.
#include <sys/statvfs.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/failpoint.h"
#include "core/temp_path.h"
#include "guest/changes.h"
#include "guest/customizer.h"
#include "guest/guestfs_session.h"
#include "guest/inspector.h"
#include "guest/tar_archive.h"

namespace guest {

namespace {

// libguestfs's default appliance memory is sized for a handful of disks;
// each extra disk costs the guest kernel some memory for its queues and
// page cache, so large batches get more.
constexpr size_t kDrivesPerDefaultMemory = 16;
constexpr int kExtraMbPerDrive = 16;

// What the appliance may write into one overlay (new qcow2 clusters for
// the edited files, inode tables and the journal): ~0.6 MiB measured on the
// tiny image, a few clusters more on a full distribution.
constexpr uint64_t kFreeBytesPerDisk = 2 << 20;

std::string DirOf(const std::string& disk) {
  std::string dir = std::filesystem::path(disk).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Free bytes where `dir` lives, or nullopt when statvfs fails.
std::optional<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs st;
  if (::statvfs(dir.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// "No space left on device: <dir> has N KiB free, ..." when `dir` is short
// of space, so a failed edit says why instead of only libguestfs's I/O
// error; "" when space is not the problem.
std::string SpaceProblem(const std::string& dir, uint64_t needed, size_t disks) {
  std::optional<uint64_t> free = FreeBytes(dir);
  if (!free || *free >= needed) return "";
  return "No space left on device: " + dir + " has " + std::to_string(*free >> 10) +
         " KiB free; customizing " + std::to_string(disks) + " disk(s) needs about " +
         std::to_string(needed >> 10) + " KiB (free space there, then deploy again)";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One clone's edit: its changes made on the host, then one tar unpack and
// the removals. `scratch` is a host file the archive is written to.
void WriteEdit(GuestfsSession& s, const GuestEdit& edit, const std::string& disk,
               const std::string& scratch) {
  if (edit.os.mounts.empty()) {
    // Without inspection there is no guest filesystem to write into: the
    // archive would land in the appliance's own root.
    throw core::Error("its base image was not inspected (no filesystem to mount)", "",
                      "deploy inspects every base image first; re-run worlds deploy");
  }
  // Render first: a bad NIC prefix must not leave a half-edited disk.
  GuestChanges changes = PlanChanges(edit);
  WriteTarArchive(scratch, changes.files);
  MountGuest(s, edit.os, disk, /*readonly=*/false);
  s.TarIn(scratch, "/");
  for (const std::string& path : changes.remove) s.RemoveFile(path);
}

class GuestfsCustomizer : public Customizer {
 public:
  explicit GuestfsCustomizer(GuestfsOptions options) : options_(std::move(options)) {}

  std::vector<EditResult> Apply(const std::vector<GuestEdit>& edits) override {
    std::vector<EditResult> results(edits.size());
    for (size_t i = 0; i < edits.size(); ++i) results[i].disk_path = edits[i].disk_path;
    if (edits.empty()) return results;

    GuestfsSession s(options_);
    // A disk libguestfs refuses up front (missing file, bad format name) is
    // failed alone instead of sinking the whole batch. So is one whose
    // filesystem is (nearly) full: checked before a 10-30 s launch whose
    // writes would only fail.
    const uint64_t needed = kFreeBytesPerDisk * edits.size();
    std::vector<size_t> added;
    for (size_t i = 0; i < edits.size(); ++i) {
      std::string no_space = SpaceProblem(DirOf(edits[i].disk_path), needed, edits.size());
      if (!no_space.empty()) {
        results[i].error = no_space;
        continue;
      }
      try {
        s.AddDrive(edits[i].disk_path, edits[i].disk_format, /*readonly=*/false);
        added.push_back(i);
      } catch (const core::Error& e) {
        results[i].error = e.message();
      }
    }
    if (added.empty()) return results;
    if (added.size() > kDrivesPerDefaultMemory) {
      s.SetMemsizeMb(s.MemsizeMb() +
                     kExtraMbPerDrive * static_cast<int>(added.size() - kDrivesPerDefaultMemory));
    }

    stats_ = ApplyStats{};
    stats_.drives = static_cast<int>(added.size());
    auto start = std::chrono::steady_clock::now();
    ++launches_;
    s.Launch();
    stats_.launch_seconds = SecondsSince(start);
    start = std::chrono::steady_clock::now();
    std::vector<std::string> devices = s.Devices();
    if (devices.size() != added.size()) {
      throw core::Error("libguestfs shows " + std::to_string(devices.size()) +
                        " devices for " + std::to_string(added.size()) + " disks added");
    }
    // The archives pass through one private host file.
    core::TempPath scratch = core::TempPath::File("worlds-edit-");
    for (size_t k = 0; k < added.size(); ++k) {
      EditResult& result = results[added[k]];
      const GuestEdit& edit = edits[added[k]];
      try {
        WriteEdit(s, edit, devices[k], scratch.path());
        UnmountGuest(s, edit.os);
        result.ok = true;
        core::FailPoint("customize-disk");
      } catch (const core::Error& e) {
        // The space may have run out during the edits (another writer).
        std::string no_space =
            SpaceProblem(DirOf(edits[added[k]].disk_path), kFreeBytesPerDisk, 1);
        result.error = e.message() + (no_space.empty() ? "" : " (" + no_space + ")");
        // Leave nothing mounted at "/" for the next disk. If even that fails
        // the appliance is unusable, and Apply stops with that error.
        UnmountGuest(s, edit.os);
      }
    }
    stats_.edit_seconds = SecondsSince(start);
    start = std::chrono::steady_clock::now();
    // cache=unsafe means nothing is on the disk files until this succeeds.
    try {
      s.Finish();
    } catch (const core::Error& e) {
      std::string no_space =
          SpaceProblem(DirOf(edits[added.front()].disk_path), kFreeBytesPerDisk, 1);
      if (no_space.empty()) throw;
      throw core::Error(e.message() + " (" + no_space + ")", e.where(), e.fix());
    }
    stats_.shutdown_seconds = SecondsSince(start);
    return results;
  }

  int launches() const override { return launches_; }
  ApplyStats last_stats() const override { return stats_; }

 private:
  GuestfsOptions options_;
  int launches_ = 0;
  ApplyStats stats_;
};

}  // namespace

std::unique_ptr<Customizer> NewGuestfsCustomizer(const GuestfsOptions& options) {
  return std::make_unique<GuestfsCustomizer>(options);
}

std::vector<std::string> ReadGuestFiles(const std::string& disk_path,
                                        const std::vector<std::string>& paths,
                                        const std::string& disk_format) {
  try {
    GuestfsSession s(GuestfsOptions{});
    s.AddDrive(disk_path, disk_format, /*readonly=*/true);
    s.Launch();
    std::vector<std::string> devices = s.Devices();
    if (devices.empty()) throw core::Error("libguestfs shows no device for the disk");
    OsInfo os = InspectDisk(s, devices.front());
    if (os.mounts.empty()) throw core::Error("inspection found " + os.product_name);
    MountGuest(s, os, devices.front(), /*readonly=*/true);
    std::vector<std::string> texts;
    for (const auto& path : paths) texts.push_back(s.ReadFile(path).value_or(""));
    return texts;
  } catch (const core::Error& e) {
    if (!e.where().empty()) throw;
    throw core::Error(e.message(), disk_path, e.fix());
  }
}

void LaunchBareAppliance(const GuestfsOptions& options) {
  GuestfsSession s(options);
  // libguestfs refuses to launch with no drive at all; a scratch one is
  // created in memory-backed temp space and vanishes on close.
  s.AddScratchDrive(1 << 20);
  s.Launch();
  s.Finish();
}

}  // namespace guest

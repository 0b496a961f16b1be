// A thin RAII owner of one libguestfs handle, shaped to what the customizer
// needs. Every call checks libguestfs's return code and throws core::Error
// whose message carries guestfs_last_error. Not thread-safe (a libguestfs
// handle is not); move-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "guest/customizer.h"

struct guestfs_h;

namespace guest {

class GuestfsSession {
 public:
  // Creates a handle with libguestfs's own error printing silenced and the
  // backend taken from `options` (or the environment when empty).
  // Throws core::Error when libguestfs cannot create a handle.
  explicit GuestfsSession(const GuestfsOptions& options);
  ~GuestfsSession();
  GuestfsSession(GuestfsSession&&) noexcept;
  GuestfsSession& operator=(GuestfsSession&&) noexcept;
  GuestfsSession(const GuestfsSession&) = delete;
  GuestfsSession& operator=(const GuestfsSession&) = delete;

  // Adds a disk before Launch(). Writable drives use cache=unsafe for speed,
  // which is only safe because Finish() syncs and shuts down cleanly; a
  // host write error on them (a full disk) fails the edit instead of
  // pausing the appliance forever.
  // `format` empty lets qemu probe (read-only use only).
  void AddDrive(const std::string& path, const std::string& format, bool readonly);
  void AddScratchDrive(int64_t bytes);
  void SetMemsizeMb(int megabytes);
  int MemsizeMb();

  // Boots the appliance. Throws core::Error with libguestfs's message and a
  // hint about the backend settings and `worlds doctor`.
  void Launch();

  // Devices in the order the drives were added.
  std::vector<std::string> Devices();

  // libguestfs inspection: the roots of the operating systems it finds on
  // every disk visible to it (see LvmSetFilter).
  std::vector<std::string> InspectOs();
  // inspect_get_<what>(root) for the string-valued ones ("type", "distro",
  // "product_name", "package_format").
  std::string InspectString(const std::string& what, const std::string& root);
  int InspectMajor(const std::string& root);
  int InspectMinor(const std::string& root);
  // mountpoint -> device, as inspection pairs them.
  std::vector<std::pair<std::string, std::string>> InspectMountpoints(
      const std::string& root);

  // Every mountable filesystem the appliance sees (devices, partitions,
  // logical volumes, "btrfsvol:" subvolumes).
  std::vector<std::string> ListFilesystems();

  // Makes LVM see only `devices` (and their partitions), then activates the
  // volume groups found there: clones of one LVM base share their volume
  // group's name and UUIDs, so only one of them may be visible at a time.
  void LvmSetFilter(const std::vector<std::string>& devices);
  void DeactivateVolumeGroups();

  void Mount(const std::string& device, const std::string& mountpoint, bool readonly);

  // The bytes of a regular file, or nullopt when `path` is not one.
  std::optional<std::string> ReadFile(const std::string& path);
  bool IsDir(const std::string& path);
  // Whether `path` exists (symlinks followed).
  bool Exists(const std::string& path);
  // Whether `path` is itself a symlink, and where it points.
  std::optional<std::string> ReadLink(const std::string& path);
  // The names in directory `path`; empty when it is not a directory.
  std::vector<std::string> List(const std::string& path);
  // Unpacks the host's tar file `tarfile` at `directory` in the guest, with
  // the owners and modes the archive gives.
  void TarIn(const std::string& tarfile, const std::string& directory);
  void RemoveFile(const std::string& path);  // no error when missing
  void WriteFile(const std::string& path, const std::string& content);
  void UmountAll();

  // Flushes every write to the disk files and stops the appliance; throws
  // if either fails, since with cache=unsafe the data is then not durable.
  void Finish();

 private:
  struct Closer {
    void operator()(guestfs_h* g) const noexcept;
  };
  // Throws core::Error("<what>: <libguestfs message>") when rc == -1.
  void Check(int rc, const std::string& what);
  std::string LastError();
  // Has QEMU report host write errors on drive `index` (direct backend).
  void ReportWriteErrors(size_t index);

  std::unique_ptr<guestfs_h, Closer> g_;
  size_t drives_ = 0;  // drives added so far: the next one's index
};

// Whether `partition` (e.g. "/dev/sdb2") is a partition of `device`
// ("/dev/sdb"); "/dev/sdba1" is not a partition of "/dev/sdb".
bool IsPartitionOf(const std::string& partition, const std::string& device);

}  // namespace guest

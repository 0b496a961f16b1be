#include "guest/guestfs_session.h"

#include <guestfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace guest {

namespace {

const char kLaunchFix[] =
    "set LIBGUESTFS_BACKEND=direct (and LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
    "where KVM does not work); run `worlds doctor`";

// libguestfs returns malloc'd strings and NULL-terminated string arrays that
// the caller frees; these turn them into owned std values at once.
std::vector<std::string> TakeStrings(char** strings) {
  std::vector<std::string> out;
  for (char** p = strings; *p != nullptr; ++p) {
    out.emplace_back(*p);
    free(*p);
  }
  free(strings);
  return out;
}

}  // namespace

void GuestfsSession::Closer::operator()(guestfs_h* g) const noexcept {
  guestfs_close(g);
}

GuestfsSession::GuestfsSession(const GuestfsOptions& options) {
  guestfs_h* g = guestfs_create();
  if (g == nullptr) {
    throw core::Error(std::string("cannot create a libguestfs handle: ") +
                          std::strerror(errno),
                      "", "check the LIBGUESTFS_* environment variables");
  }
  g_.reset(g);
  // Errors are reported through core::Error, never printed by the library.
  guestfs_set_error_handler(g, nullptr, nullptr);
  if (!options.backend.empty()) {
    if (guestfs_set_backend(g, options.backend.c_str()) == -1) {
      throw core::Error("cannot set libguestfs backend '" + options.backend + "': " +
                            LastError(),
                        "", "use 'direct' or 'libvirt'; run `worlds doctor`");
    }
  }
  if (!options.backend_settings.empty()) {
    std::string setting = options.backend_settings;
    char* settings[] = {setting.data(), nullptr};
    Check(guestfs_set_backend_settings(g, settings),
          "cannot set libguestfs backend settings '" + options.backend_settings + "'");
  }
  if (options.trace) Check(guestfs_set_trace(g, 1), "cannot enable libguestfs trace");
}

GuestfsSession::~GuestfsSession() = default;
GuestfsSession::GuestfsSession(GuestfsSession&&) noexcept = default;
GuestfsSession& GuestfsSession::operator=(GuestfsSession&&) noexcept = default;

std::string GuestfsSession::LastError() {
  const char* msg = guestfs_last_error(g_.get());
  return msg != nullptr ? msg : "unknown libguestfs error";
}

void GuestfsSession::Check(int rc, const std::string& what) {
  if (rc == -1) throw core::Error(what + ": " + LastError());
}

void GuestfsSession::AddDrive(const std::string& path, const std::string& format,
                              bool readonly) {
  int rc;
  if (readonly && format.empty()) {
    rc = guestfs_add_drive_opts(g_.get(), path.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY,
                                1, -1);
  } else if (readonly) {
    rc = guestfs_add_drive_opts(g_.get(), path.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY,
                                1, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format.c_str(), -1);
  } else {
    rc = guestfs_add_drive_opts(
        g_.get(), path.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 0,
        GUESTFS_ADD_DRIVE_OPTS_FORMAT, format.c_str(),
        GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe", -1);
  }
  Check(rc, "cannot add disk");
  size_t index = drives_++;
  if (!readonly) ReportWriteErrors(index);
}

void GuestfsSession::ReportWriteErrors(size_t index) {
  // QEMU's default for a failed host write is werror=enospc: on "No space
  // left on device" it pauses the appliance, and the libguestfs call in
  // flight then waits forever (a deploy into a full state dir hung). With
  // werror=report the guest gets an I/O error and the edit fails. The direct
  // backend names drive N "hdN"; the libvirt backend names drives its own
  // way, so the option is only set for the direct one.
  char* backend = guestfs_get_backend(g_.get());
  bool direct = backend != nullptr && std::strcmp(backend, "direct") == 0;
  free(backend);
  if (!direct) return;
  std::string option = "drive.hd" + std::to_string(index) + ".werror=report";
  Check(guestfs_config(g_.get(), "-set", option.c_str()),
        "cannot set the write error policy of disk " + std::to_string(index));
}

void GuestfsSession::AddScratchDrive(int64_t bytes) {
  Check(guestfs_add_drive_scratch(g_.get(), bytes, -1), "cannot add scratch disk");
  ++drives_;
}

void GuestfsSession::SetMemsizeMb(int megabytes) {
  Check(guestfs_set_memsize(g_.get(), megabytes), "cannot set appliance memory");
}

int GuestfsSession::MemsizeMb() {
  int mb = guestfs_get_memsize(g_.get());
  Check(mb, "cannot read appliance memory");
  return mb;
}

void GuestfsSession::Launch() {
  if (guestfs_launch(g_.get()) == -1) {
    throw core::Error("libguestfs appliance failed to launch: " + LastError(), "",
                      kLaunchFix);
  }
}

std::vector<std::string> GuestfsSession::Devices() {
  char** devices = guestfs_list_devices(g_.get());
  if (devices == nullptr) throw core::Error("cannot list devices: " + LastError());
  return TakeStrings(devices);
}

std::vector<std::string> GuestfsSession::Partitions() {
  char** parts = guestfs_list_partitions(g_.get());
  if (parts == nullptr) throw core::Error("cannot list partitions: " + LastError());
  return TakeStrings(parts);
}

bool IsPartitionOf(const std::string& partition, const std::string& device) {
  if (partition.size() <= device.size() || partition.compare(0, device.size(), device) != 0) {
    return false;
  }
  for (size_t i = device.size(); i < partition.size(); ++i) {
    if (partition[i] < '0' || partition[i] > '9') return false;
  }
  return true;
}

void GuestfsSession::MountRoot(const std::string& device,
                               const std::vector<std::string>& partitions) {
  // A whole-device filesystem (the tiny images) is tried first: it is the
  // common case here, and mounting a partitioned device fails fast.
  std::vector<std::string> candidates = {device};
  for (const auto& p : partitions) {
    if (IsPartitionOf(p, device)) candidates.push_back(p);
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    if (!tried.empty()) tried += "; ";
    if (guestfs_mount(g_.get(), candidate.c_str(), "/") == -1) {
      tried += candidate + ": " + LastError();
      continue;
    }
    int is_dir = guestfs_is_dir(g_.get(), "/etc");
    if (is_dir == 1) return;
    tried += candidate + ": " +
             (is_dir == -1 ? LastError() : std::string("mounted, but has no /etc"));
    Check(guestfs_umount_all(g_.get()), "cannot unmount " + candidate);
  }
  throw core::Error("no filesystem with /etc found (" + tried + ")");
}

std::optional<std::string> GuestfsSession::ReadFile(const std::string& path) {
  // Following symlinks reads what the guest would read at that path.
  int is_file = guestfs_is_file_opts(g_.get(), path.c_str(),
                                     GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1);
  Check(is_file, "cannot check " + path);
  if (is_file == 0) return std::nullopt;
  // guestfs_read_file goes through a download to a host temp file, which
  // costs ~0.25 s per call under TCG; pread answers in one daemon call.
  constexpr size_t kChunk = 1 << 20;  // well under the protocol's message cap
  std::string out;
  for (;;) {
    size_t size = 0;
    char* data = guestfs_pread(g_.get(), path.c_str(), kChunk,
                               static_cast<int64_t>(out.size()), &size);
    if (data == nullptr) throw core::Error("cannot read " + path + ": " + LastError());
    out.append(data, size);
    free(data);
    if (size < kChunk) return out;
  }
}

bool GuestfsSession::IsDir(const std::string& path) {
  int rc = guestfs_is_dir_opts(g_.get(), path.c_str(),
                               GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1);
  Check(rc, "cannot check " + path);
  return rc == 1;
}

void GuestfsSession::WriteFile(const std::string& path, const std::string& content) {
  Check(guestfs_write(g_.get(), path.c_str(), content.data(), content.size()),
        "cannot write " + path);
}

void GuestfsSession::MkdirP(const std::string& path) {
  Check(guestfs_mkdir_p(g_.get(), path.c_str()), "cannot create " + path);
}

void GuestfsSession::Chmod(int mode, const std::string& path) {
  Check(guestfs_chmod(g_.get(), mode, path.c_str()), "cannot chmod " + path);
}

void GuestfsSession::Chown(int owner, int group, const std::string& path) {
  Check(guestfs_chown(g_.get(), owner, group, path.c_str()), "cannot chown " + path);
}

void GuestfsSession::UmountAll() {
  Check(guestfs_umount_all(g_.get()), "cannot unmount");
}

void GuestfsSession::Finish() {
  // With autosync (libguestfs's default, never turned off here) shutdown
  // unmounts and syncs every disk before QEMU exits; a sync of our own
  // first only did the same work twice.
  Check(guestfs_shutdown(g_.get()), "appliance did not shut down cleanly");
}

}  // namespace guest

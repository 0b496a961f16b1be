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

bool IsPartitionOf(const std::string& partition, const std::string& device) {
  if (partition.size() <= device.size() || partition.compare(0, device.size(), device) != 0) {
    return false;
  }
  for (size_t i = device.size(); i < partition.size(); ++i) {
    if (partition[i] < '0' || partition[i] > '9') return false;
  }
  return true;
}

std::vector<std::string> GuestfsSession::InspectOs() {
  char** roots = guestfs_inspect_os(g_.get());
  if (roots == nullptr) throw core::Error("libguestfs inspection failed: " + LastError());
  return TakeStrings(roots);
}

std::string GuestfsSession::InspectString(const std::string& what,
                                          const std::string& root) {
  char* value = nullptr;
  const char* r = root.c_str();
  if (what == "type") {
    value = guestfs_inspect_get_type(g_.get(), r);
  } else if (what == "distro") {
    value = guestfs_inspect_get_distro(g_.get(), r);
  } else if (what == "product_name") {
    value = guestfs_inspect_get_product_name(g_.get(), r);
  } else if (what == "package_format") {
    value = guestfs_inspect_get_package_format(g_.get(), r);
  } else {
    throw core::Error("no inspection value '" + what + "'");
  }
  if (value == nullptr) {
    throw core::Error("cannot inspect " + what + " of " + root + ": " + LastError());
  }
  std::string out = value;
  free(value);
  return out;
}

int GuestfsSession::InspectMajor(const std::string& root) {
  int v = guestfs_inspect_get_major_version(g_.get(), root.c_str());
  Check(v, "cannot inspect the version of " + root);
  return v;
}

int GuestfsSession::InspectMinor(const std::string& root) {
  int v = guestfs_inspect_get_minor_version(g_.get(), root.c_str());
  Check(v, "cannot inspect the version of " + root);
  return v;
}

std::vector<std::pair<std::string, std::string>> GuestfsSession::InspectMountpoints(
    const std::string& root) {
  char** pairs = guestfs_inspect_get_mountpoints(g_.get(), root.c_str());
  if (pairs == nullptr) {
    throw core::Error("cannot inspect the mountpoints of " + root + ": " + LastError());
  }
  std::vector<std::string> flat = TakeStrings(pairs);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
  return out;
}

std::vector<std::string> GuestfsSession::ListFilesystems() {
  char** pairs = guestfs_list_filesystems(g_.get());
  if (pairs == nullptr) throw core::Error("cannot list filesystems: " + LastError());
  std::vector<std::string> flat = TakeStrings(pairs);
  std::vector<std::string> out;
  for (size_t i = 0; i < flat.size(); i += 2) out.push_back(flat[i]);  // (device, type)
  return out;
}

void GuestfsSession::LvmSetFilter(const std::vector<std::string>& devices) {
  std::vector<std::string> copies = devices;
  std::vector<char*> argv;
  for (std::string& d : copies) argv.push_back(d.data());
  argv.push_back(nullptr);
  Check(guestfs_lvm_set_filter(g_.get(), argv.data()), "cannot set the LVM filter");
  Check(guestfs_vg_activate_all(g_.get(), 1), "cannot activate volume groups");
}

void GuestfsSession::DeactivateVolumeGroups() {
  Check(guestfs_vg_activate_all(g_.get(), 0), "cannot deactivate volume groups");
}

void GuestfsSession::Mount(const std::string& device, const std::string& mountpoint,
                           bool readonly) {
  int rc = readonly ? guestfs_mount_ro(g_.get(), device.c_str(), mountpoint.c_str())
                    : guestfs_mount(g_.get(), device.c_str(), mountpoint.c_str());
  Check(rc, "cannot mount " + device + " on " + mountpoint);
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

bool GuestfsSession::Exists(const std::string& path) {
  int rc = guestfs_exists(g_.get(), path.c_str());
  Check(rc, "cannot check " + path);
  return rc == 1;
}

std::optional<std::string> GuestfsSession::ReadLink(const std::string& path) {
  int rc = guestfs_is_symlink(g_.get(), path.c_str());
  Check(rc, "cannot check " + path);
  if (rc == 0) return std::nullopt;
  char* target = guestfs_readlink(g_.get(), path.c_str());
  if (target == nullptr) throw core::Error("cannot read link " + path + ": " + LastError());
  std::string out = target;
  free(target);
  return out;
}

std::vector<std::string> GuestfsSession::List(const std::string& path) {
  if (!IsDir(path)) return {};
  char** names = guestfs_ls(g_.get(), path.c_str());
  if (names == nullptr) throw core::Error("cannot list " + path + ": " + LastError());
  return TakeStrings(names);
}

void GuestfsSession::TarIn(const std::string& tarfile, const std::string& directory) {
  Check(guestfs_tar_in(g_.get(), tarfile.c_str(), directory.c_str()),
        "cannot unpack the files for " + directory);
}

void GuestfsSession::RemoveFile(const std::string& path) {
  Check(guestfs_rm_f(g_.get(), path.c_str()), "cannot remove " + path);
}

void GuestfsSession::WriteFile(const std::string& path, const std::string& content) {
  Check(guestfs_write(g_.get(), path.c_str(), content.data(), content.size()),
        "cannot write " + path);
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

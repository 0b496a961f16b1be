#include "guest/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>

#include "core/error.h"

namespace guest {

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct EntryCloser {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};

}  // namespace

void WriteTarArchive(const std::string& path, const std::vector<FileChange>& files) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_write_new());
  if (!a) throw core::Error("cannot create a tar archive (out of memory)", path);
  auto check = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK) {
      const char* msg = archive_error_string(a.get());
      throw core::Error(what + ": " + (msg ? msg : "unknown libarchive error"), path);
    }
  };
  check(archive_write_set_format_pax_restricted(a.get()), "cannot choose the tar format");
  check(archive_write_open_filename(a.get(), path.c_str()), "cannot create the archive");
  const time_t now = std::time(nullptr);
  for (const FileChange& file : files) {
    std::unique_ptr<archive_entry, EntryCloser> e(archive_entry_new());
    // Relative names: the appliance unpacks at the guest's "/".
    std::string name = "." + file.path;
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), now, 0);
    if (file.symlink) {
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_perm(e.get(), 0777);
      archive_entry_set_symlink(e.get(), file.content.c_str());
      archive_entry_set_size(e.get(), 0);
    } else {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_perm(e.get(), static_cast<mode_t>(file.mode));
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(file.content.size()));
    }
    check(archive_write_header(a.get(), e.get()), "cannot add " + file.path);
    if (!file.symlink && !file.content.empty()) {
      la_ssize_t n = archive_write_data(a.get(), file.content.data(), file.content.size());
      if (n != static_cast<la_ssize_t>(file.content.size())) {
        check(ARCHIVE_FATAL, "cannot write " + file.path);
      }
    }
  }
  check(archive_write_close(a.get()), "cannot finish the archive");
}

}  // namespace guest

#include "guest/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "support/error_text.h"

namespace guest {
namespace {

struct Entry {
  std::string name;
  std::string content;
  int mode;
  bool symlink;
  int64_t uid;
};

std::vector<Entry> ReadBack(const std::string& path) {
  std::vector<Entry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 4096), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry entry{archive_entry_pathname(e), "", static_cast<int>(archive_entry_perm(e)),
                archive_entry_filetype(e) == AE_IFLNK, archive_entry_uid(e)};
    if (entry.symlink) {
      entry.content = archive_entry_symlink(e);
    } else {
      std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
      archive_read_data(a, data.data(), data.size());
      entry.content = data;
    }
    out.push_back(entry);
  }
  archive_read_free(a);
  return out;
}

TEST(TarArchiveTest, FilesKeepModesAndRootOwnershipAndLinks) {
  char name[] = "/tmp/worlds_tar_test_XXXXXX";
  int fd = mkstemp(name);
  ASSERT_GE(fd, 0);
  close(fd);
  WriteTarArchive(name, {{"/etc/ssh/ssh_host_ed25519_key", "secret\n", 0600, false},
                         {"/etc/hostname", "pc\n", 0644, false},
                         {"/.autorelabel", "", 0644, false},
                         {"/etc/systemd/system/x.wants/a.service", "/etc/a.service", 0777, true}});
  std::vector<Entry> entries = ReadBack(name);
  std::filesystem::remove(name);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "./etc/ssh/ssh_host_ed25519_key");
  EXPECT_EQ(entries[0].content, "secret\n");
  EXPECT_EQ(entries[0].mode, 0600);
  EXPECT_EQ(entries[0].uid, 0);
  EXPECT_EQ(entries[1].content, "pc\n");
  EXPECT_EQ(entries[2].content, "");
  EXPECT_TRUE(entries[3].symlink);
  EXPECT_EQ(entries[3].content, "/etc/a.service");
}

TEST(TarArchiveTest, UnwritablePathSaysWhere) {
  {
    const core::Error e =
        support::ThrownError([&] { WriteTarArchive("/nonexistent/dir/x.tar", {}); });
    EXPECT_EQ(e.where(), "/nonexistent/dir/x.tar");
    EXPECT_EQ(e.message().rfind("cannot create the archive: ", 0), 0u) << e.message();
  }
}

}  // namespace
}  // namespace guest

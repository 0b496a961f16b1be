#include "deploy/qemu_access.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstdint>
#include <cstring>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"

namespace deploy {

std::string QemuUserFromConf(const std::string& qemu_conf_text) {
  static const std::regex kUser(R"(^\s*user\s*=\s*"([^"]*)\")");
  std::string user = "libvirt-qemu";
  std::istringstream lines(qemu_conf_text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kUser)) user = m[1].str();
  }
  // "+64055" is a uid; the name lookup below handles names only, so keep it.
  return user;
}

bool QemuRunsAsItsOwnUser(const std::string& connect) {
  // qemu:///system, qemu+ssh://host/system, qemu:///system?socket=...
  std::string path = connect.substr(0, connect.find('?'));
  return path.size() >= 7 && path.compare(path.size() - 7, 7, "/system") == 0;
}

std::optional<Identity> LookUpIdentity(const std::string& name) {
  const passwd* pw = nullptr;
  if (!name.empty() && name[0] == '+') {
    pw = ::getpwuid(static_cast<uid_t>(std::stoul(name.substr(1))));
  } else {
    pw = ::getpwnam(name.c_str());
  }
  if (!pw) return std::nullopt;
  Identity who{pw->pw_name, pw->pw_uid, {}};
  int count = 64;
  std::vector<gid_t> groups(count);
  if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) {
    groups.resize(count);
    ::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count);
  }
  groups.resize(std::max(count, 0));
  who.gids = groups;
  if (who.gids.empty()) who.gids.push_back(pw->pw_gid);
  return who;
}

namespace {

// One entry of a POSIX access ACL as Linux stores it in the
// system.posix_acl_access attribute (<linux/posix_acl_xattr.h>): after a
// 4-byte version (2), entries of tag, permissions and id, little-endian.
struct AclEntry {
  uint16_t tag;
  uint16_t perm;
  uint32_t id;
};
constexpr uint16_t kAclUserObj = 0x01, kAclUser = 0x02, kAclGroupObj = 0x04, kAclGroup = 0x08,
                   kAclMask = 0x10, kAclOther = 0x20;
constexpr uint16_t kAclExecute = 0x01;

// The directory's access ACL; empty when it has none (mode bits only).
std::vector<AclEntry> ReadAcl(const std::string& dir) {
  char buf[4096];
  ssize_t n = ::getxattr(dir.c_str(), "system.posix_acl_access", buf, sizeof buf);
  std::vector<AclEntry> entries;
  if (n < 4) return entries;
  uint32_t version;
  std::memcpy(&version, buf, 4);
  if (version != 2) return entries;
  for (ssize_t at = 4; at + 8 <= n; at += 8) {
    AclEntry entry;
    std::memcpy(&entry.tag, buf + at, 2);
    std::memcpy(&entry.perm, buf + at + 2, 2);
    std::memcpy(&entry.id, buf + at + 4, 4);
    entries.push_back(entry);
  }
  return entries;
}

bool InGroups(const Identity& who, gid_t gid) {
  return std::find(who.gids.begin(), who.gids.end(), gid) != who.gids.end();
}

// The kernel's order (acl(5), "Access check algorithm"): owner, named user
// (masked), the groups (masked; any that grants), other.
bool SearchableByAcl(const struct stat& st, const std::vector<AclEntry>& acl,
                     const Identity& who) {
  uint16_t mask = 0x7;
  for (const AclEntry& e : acl) {
    if (e.tag == kAclMask) mask = e.perm;
  }
  if (st.st_uid == who.uid) {
    for (const AclEntry& e : acl) {
      if (e.tag == kAclUserObj) return e.perm & kAclExecute;
    }
  }
  for (const AclEntry& e : acl) {
    if (e.tag == kAclUser && e.id == who.uid) return e.perm & mask & kAclExecute;
  }
  bool group_matched = false;
  for (const AclEntry& e : acl) {
    bool matches = (e.tag == kAclGroupObj && InGroups(who, st.st_gid)) ||
                   (e.tag == kAclGroup && InGroups(who, e.id));
    if (!matches) continue;
    group_matched = true;
    if (e.perm & mask & kAclExecute) return true;
  }
  if (group_matched) return false;
  for (const AclEntry& e : acl) {
    if (e.tag == kAclOther) return e.perm & kAclExecute;
  }
  return false;
}

bool Searchable(const std::string& dir, const struct stat& st, const Identity& who) {
  std::vector<AclEntry> acl = ReadAcl(dir);
  if (!acl.empty()) return SearchableByAcl(st, acl, who);
  if (st.st_uid == who.uid) return st.st_mode & S_IXUSR;
  if (InGroups(who, st.st_gid)) return st.st_mode & S_IXGRP;
  return st.st_mode & S_IXOTH;
}

}  // namespace

std::optional<std::string> FirstUnsearchableDir(const std::string& path, const Identity& who) {
  std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
  std::filesystem::path dir;
  for (const std::filesystem::path& part : absolute) {
    if (part.empty()) continue;
    dir /= part;
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return std::nullopt;  // made by deploy, later
    if (!S_ISDIR(st.st_mode)) return std::nullopt;           // not ours to judge here
    if (!Searchable(dir.string(), st, who)) return dir.string();
  }
  return std::nullopt;
}

void CheckQemuCanReach(const std::string& connect, const std::vector<std::string>& paths,
                       const std::string& qemu_conf) {
  if (!QemuRunsAsItsOwnUser(connect)) return;
  std::ifstream in(qemu_conf);
  std::stringstream text;
  text << in.rdbuf();
  std::string user = QemuUserFromConf(text.str());
  std::optional<Identity> who = LookUpIdentity(user);
  if (!who) return;
  for (const std::string& path : paths) {
    if (std::optional<std::string> dir = FirstUnsearchableDir(path, *who)) {
      throw core::Error(
          "QEMU runs as " + who->name + " (" + qemu_conf + "), which cannot enter " + *dir +
              " on the way to " + path + ": every VM would fail to start with \"Cannot "
              "access storage file ... Permission denied\"",
          *dir,
          "chmod o+x " + *dir + " (or let " + who->name + " search it), or use a state dir "
              "QEMU can reach, e.g. --state-dir /var/lib/worlds");
    }
  }
}

}  // namespace deploy

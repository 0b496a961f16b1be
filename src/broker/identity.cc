#include "broker/identity.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace broker {
namespace {

// getpw*_r/getgr*_r want a caller buffer; grow it while they say ERANGE.
template <typename Lookup>
bool WithBuffer(Lookup lookup) {
  std::vector<char> buffer(4096);
  for (;;) {
    int rc = lookup(buffer);
    if (rc != ERANGE) return rc == 0;
    if (buffer.size() > (1u << 20)) return false;
    buffer.resize(buffer.size() * 2);
  }
}

bool InGroup(const std::string& user, gid_t primary, const std::string& group) {
  gid_t admin_gid = 0;
  bool exists = WithBuffer([&](std::vector<char>& buf) {
    struct group entry;
    struct group* found = nullptr;
    int rc = ::getgrnam_r(group.c_str(), &entry, buf.data(), buf.size(), &found);
    if (rc == 0 && found == nullptr) return ENOENT;
    if (rc == 0) admin_gid = found->gr_gid;
    return rc;
  });
  if (!exists) return false;
  int count = 64;
  std::vector<gid_t> groups(count);
  while (::getgrouplist(user.c_str(), primary, groups.data(), &count) < 0) {
    if (count <= static_cast<int>(groups.size())) return false;
    groups.resize(count);
  }
  groups.resize(count);
  return std::find(groups.begin(), groups.end(), admin_gid) != groups.end();
}

}  // namespace

IdentityResolver SystemIdentity(std::string admin_group) {
  return [admin_group](uid_t uid) {
    Identity identity;
    identity.uid = static_cast<long>(uid);
    gid_t primary = 0;
    WithBuffer([&](std::vector<char>& buf) {
      struct passwd entry;
      struct passwd* found = nullptr;
      int rc = ::getpwuid_r(uid, &entry, buf.data(), buf.size(), &found);
      if (rc == 0 && found == nullptr) return ENOENT;
      if (rc == 0) {
        identity.user = found->pw_name;
        primary = found->pw_gid;
      }
      return rc;
    });
    if (identity.user.empty()) return identity;
    // Root can reach libvirt without us anyway.
    identity.admin = uid == 0 || InGroup(identity.user, primary, admin_group);
    return identity;
  };
}

std::string ActorName(const Identity& identity) {
  return identity.user.empty() ? "uid " + std::to_string(identity.uid) : identity.user;
}

std::optional<std::string> RefuseCaller(const Caller& caller) {
  const Identity& id = caller.identity;
  if (id.user.empty()) {
    return "uid " + std::to_string(id.uid) + " has no Worlds (no such user on this host)";
  }
  if (!id.admin && !caller.roster) return "user '" + id.user + "' has no Worlds";
  return std::nullopt;
}

bool MayActOn(const Caller& caller, const std::string& owner) {
  if (RefuseCaller(caller)) return false;
  if (caller.identity.admin) return true;
  if (owner == caller.identity.user) return true;
  return caller.roster && !caller.roster->group.empty() && owner == caller.roster->group;
}

std::optional<std::string> RefuseVm(const Caller& caller, const std::string& domain,
                                    const std::optional<store::VmRecord>& vm) {
  if (auto refused = RefuseCaller(caller)) return refused;
  if (vm && MayActOn(caller, vm->owner)) return std::nullopt;
  if (caller.identity.admin) return "'" + domain + "' is not a Worlds VM";
  return "'" + domain + "' is not one of " + caller.identity.user + "'s VMs";
}

}  // namespace broker

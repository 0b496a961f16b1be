#include "accounts/system_accounts.h"

#include <grp.h>
#include <pwd.h>
#include <shadow.h>

#include "process/process.h"

namespace accounts {
namespace {

class HostAccounts : public SystemAccounts {
 public:
  // The non-reentrant lookups are fine: users sync runs on one thread, and
  // each result is copied before the next call.
  std::optional<UserInfo> FindUser(const std::string& name) override {
    struct passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr) return std::nullopt;
    UserInfo info;
    info.name = pw->pw_name;
    info.uid = pw->pw_uid;
    info.gid = pw->pw_gid;
    info.full_name = pw->pw_gecos ? pw->pw_gecos : "";
    info.home = pw->pw_dir ? pw->pw_dir : "";
    info.shell = pw->pw_shell ? pw->pw_shell : "";
    // /etc/shadow is root's to read; without it the field stays unknown.
    if (struct spwd* sp = ::getspnam(name.c_str()); sp && sp->sp_pwdp) {
      info.password = sp->sp_pwdp;
    }
    return info;
  }

  std::optional<GroupInfo> FindGroup(const std::string& name) override {
    struct group* gr = ::getgrnam(name.c_str());
    if (gr == nullptr) return std::nullopt;
    GroupInfo info;
    info.name = gr->gr_name;
    info.gid = gr->gr_gid;
    for (char** member = gr->gr_mem; member && *member; ++member) {
      info.members.emplace_back(*member);
    }
    return info;
  }

  void Run(const std::vector<std::string>& argv) override { process::RunChecked(argv); }
};

}  // namespace

std::unique_ptr<SystemAccounts> NewSystemAccounts() {
  return std::make_unique<HostAccounts>();
}

}  // namespace accounts

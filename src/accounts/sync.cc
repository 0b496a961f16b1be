#include "accounts/sync.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "accounts/files.h"
#include "config/roster_parser.h"
#include "core/error.h"
#include "core/names.h"

namespace accounts {

std::string MenuLinkTarget(const std::string& shell, const std::string& self_exe) {
  std::error_code ec;
  if (std::filesystem::symlink_status(shell, ec).type() == std::filesystem::file_type::regular) {
    return "";
  }
  std::filesystem::path beside = std::filesystem::path(self_exe).parent_path() / "worlds-menu";
  if (beside != std::filesystem::path(shell) && ::access(beside.c_str(), X_OK) == 0 &&
      std::filesystem::is_regular_file(beside, ec)) {
    return beside.string();
  }
  return self_exe;
}

std::string SyncCounts::ToString() const {
  return "created " + std::to_string(created) + ", updated " + std::to_string(updated) +
         ", unchanged " + std::to_string(unchanged) + ", keys installed " +
         std::to_string(keys_installed) + ", removed " + std::to_string(removed) +
         ", failed " + std::to_string(failed);
}

namespace {

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : sep) + part;
  return out;
}

// Every problem with the roster and the options, in the same shape as the
// config diagnostics so the CLI maps it to "bad input".
std::vector<std::string> CheckOptions(const SyncRequest& request) {
  std::vector<std::string> errors;
  for (const std::string& admin : request.admins) {
    if (!core::IsValidUserName(admin)) {
      errors.push_back("--admins: '" + admin + "' is not a valid user name (" +
                       core::kUserNameRule + ")");
    }
  }
  if (!core::IsValidUserName(request.student_group)) {
    errors.push_back("student group: '" + request.student_group +
                     "' is not a valid group name (" + core::kUserNameRule + ")");
  }
  if (!core::IsValidUserName(request.admin_group)) {
    errors.push_back("--admin-group: '" + request.admin_group +
                     "' is not a valid group name (" + core::kUserNameRule + ")");
  }
  if (request.shell.empty() || request.shell[0] != '/') {
    errors.push_back("--shell: '" + request.shell + "' is not an absolute path");
  } else if (request.menu_target.empty() && !std::filesystem::exists(request.shell)) {
    errors.push_back("--shell: '" + request.shell + "' does not exist");
  }
  if (!request.keys_dir.empty() && !std::filesystem::is_directory(request.keys_dir)) {
    errors.push_back("--keys-dir: '" + request.keys_dir + "' is not a directory");
  }
  if (request.password_hash &&
      (request.password_hash->empty() ||
       request.password_hash->find_first_of(":\n") != std::string::npos)) {
    errors.push_back("--password-hash: a crypt hash is not empty and has no ':' or newline");
  }
  return errors;
}

class Syncer {
 public:
  Syncer(SystemAccounts& system, store::Store& store, const SyncRequest& request,
         const Actor& actor, std::ostream& out)
      : system_(system), store_(store), request_(request), actor_(actor), out_(out) {}

  void EnsureShell() {
    if (!request_.menu_target.empty() &&
        EnsureSymlink(request_.shell, request_.menu_target)) {
      Say("linked the menu shell " + request_.shell + " -> " + request_.menu_target,
          request_.shell);
    }
    if (EnsureListedShell(request_.shells_file, request_.shell)) {
      Say("added " + request_.shell + " to " + request_.shells_file, request_.shells_file);
    }
  }

  void EnsureAdminGroup() {
    if (request_.admins.empty() || system_.FindGroup(request_.admin_group)) return;
    system_.Run({"groupadd", "--system", request_.admin_group});
    Say("created group " + request_.admin_group, request_.admin_group);
  }

  void EnsureStudentGroup(bool any_student) {
    if (!any_student || system_.FindGroup(request_.student_group)) return;
    system_.Run({"groupadd", "--system", request_.student_group});
    Say("created group " + request_.student_group, request_.student_group);
  }

  // One account; `student` is null for an admin who is not in the roster.
  void SyncOne(const std::string& name, const core::Student* student, bool admin) {
    try {
      std::optional<UserInfo> info = system_.FindUser(name);
      bool created = false;
      bool set_password = student != nullptr;
      std::vector<std::string> changes;
      if (!info) {
        std::vector<std::string> argv = {"useradd", "--create-home", "--shell", request_.shell};
        if (student) {
          argv.insert(argv.end(),
                      {"--groups", request_.student_group, "--comment", student->full_name});
        }
        argv.push_back(name);
        system_.Run(argv);
        info = system_.FindUser(name);
        if (!info) throw core::Error("useradd succeeded but the account does not exist", name);
        store_.RecordAccount(name, info->uid);
        created = set_password = true;
      } else if (student && (info->shell != request_.shell ||
                             info->full_name != student->full_name)) {
        if (info->shell != request_.shell) changes.push_back("shell " + request_.shell);
        if (info->full_name != student->full_name) changes.push_back("full name");
        system_.Run({"usermod", "--shell", request_.shell, "--comment", student->full_name,
                     name});
      }
      const std::string password = request_.password_hash.value_or(kNoPassword);
      if (set_password && info->password != password) {
        system_.Run({"usermod", "-p", password, name});
        if (!created) changes.push_back("password field");
      }
      if (student && !created) JoinGroup(name, request_.student_group, &changes);
      if (admin) JoinGroup(name, request_.admin_group, created ? nullptr : &changes);
      if (created) {
        ++counts_.created;
        Say("created " + name + (admin ? " (admin)" : ""), name);
      } else if (!changes.empty()) {
        ++counts_.updated;
        Say("updated " + name + ": " + Join(changes, ", "), name);
      } else {
        ++counts_.unchanged;
      }
      InstallKeys(*info);
      if (student) store_.UpsertUser(name, student->full_name, student->group);
    } catch (const core::Error& e) {
      Fail(name, e.Describe());
    }
  }

  void RemoveMissing(const std::set<std::string>& wanted) {
    for (const store::AccountRecord& account : store_.Accounts()) {
      if (wanted.count(account.username)) continue;
      try {
        std::optional<UserInfo> info = system_.FindUser(account.username);
        if (info && info->uid == account.uid) {
          system_.Run({"userdel", "--remove", account.username});
          ++counts_.removed;
          Say("removed " + account.username, account.username);
        } else {
          // Gone already, or the name now belongs to an account we did not
          // create: in both cases it is no longer ours to delete.
          out_ << "forgot " << account.username
               << (info ? " (its uid changed: not the account Worlds created)" : " (already gone)")
               << "\n";
        }
        store_.RemoveAccount(account.username);
      } catch (const core::Error& e) {
        Fail(account.username, e.Describe());
      }
    }
  }

  const SyncCounts& counts() const { return counts_; }

 private:
  // Adds `name` to `group` unless a member; notes it in `changes` if given.
  void JoinGroup(const std::string& name, const std::string& group,
                 std::vector<std::string>* changes) {
    std::optional<GroupInfo> info = system_.FindGroup(group);
    const auto& members = info ? info->members : std::vector<std::string>{};
    if (std::find(members.begin(), members.end(), name) != members.end()) return;
    system_.Run({"gpasswd", "-a", name, group});
    if (changes) changes->push_back("added to " + group);
  }

  void InstallKeys(const UserInfo& info) {
    if (request_.keys_dir.empty()) return;
    std::optional<std::string> file = FindKeyFile(request_.keys_dir, info.name);
    if (!file) return;
    if (InstallAuthorizedKeys(info.home, info.uid, info.gid, ReadWholeFile(*file))) {
      ++counts_.keys_installed;
      Say("installed keys for " + info.name + " from " + *file, info.name);
    }
  }

  void Say(const std::string& what, const std::string& target) {
    out_ << what << "\n";
    Event(target, "ok", what);
  }

  void Fail(const std::string& name, const std::string& message) {
    ++counts_.failed;
    out_ << "FAILED " << name << ": " << message << "\n";
    Event(name, "error", message);
  }

  void Event(const std::string& target, const std::string& result, const std::string& detail) {
    store::Event event;
    event.uid = actor_.uid;
    event.actor = actor_.name;
    event.action = "users-sync";
    event.target = target;
    event.result = result;
    event.detail = detail;
    store_.AddEvent(event);
  }

  SystemAccounts& system_;
  store::Store& store_;
  const SyncRequest& request_;
  const Actor& actor_;
  std::ostream& out_;
  SyncCounts counts_;
};

}  // namespace

SyncCounts SyncUsers(SystemAccounts& system, store::Store& store, const SyncRequest& request,
                     const Actor& actor, std::ostream& out) {
  config::RosterParseResult parsed = config::ParseRosterFile(request.roster_file);
  std::vector<std::string> errors;
  for (const config::Diagnostic& d : parsed.errors) errors.push_back(d.ToString());
  std::vector<std::string> option_errors = CheckOptions(request);
  errors.insert(errors.end(), option_errors.begin(), option_errors.end());
  if (!errors.empty()) {
    throw core::InputError(Join(errors, "\n") + "\n" + std::to_string(errors.size()) +
                      " error(s) in " + request.roster_file + " and the options; " +
                      "nothing was changed");
  }
  const core::Roster& roster = *parsed.roster;
  std::set<std::string> admins(request.admins.begin(), request.admins.end());

  Syncer syncer(system, store, request, actor, out);
  syncer.EnsureShell();
  syncer.EnsureStudentGroup(!roster.students.empty());
  syncer.EnsureAdminGroup();
  std::set<std::string> wanted;
  for (const core::Student& student : roster.students) {
    wanted.insert(student.username);
    syncer.SyncOne(student.username, &student, admins.count(student.username) > 0);
  }
  for (const std::string& admin : request.admins) {
    if (wanted.insert(admin).second) syncer.SyncOne(admin, nullptr, true);
  }
  if (request.remove_missing) syncer.RemoveMissing(wanted);
  out << "users sync: " << syncer.counts().ToString() << "\n";
  return syncer.counts();
}

}  // namespace accounts

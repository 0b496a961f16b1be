// `worlds users sync`: makes the host's Unix accounts match a roster, so
// each student can `ssh` in and land in the Worlds menu. Converges: a re-run
// changes only what differs and says what it did. Deletes only accounts that
// Worlds itself created (state.db `accounts`), and only when asked.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "accounts/system_accounts.h"
#include "store/store.h"

namespace accounts {

// The installed students' shell (CMake sets it from the install prefix).
#ifndef WORLDS_MENU_SHELL
#define WORLDS_MENU_SHELL "/usr/local/bin/worlds-menu"
#endif
inline constexpr const char* kMenuShell = WORLDS_MENU_SHELL;
inline constexpr const char* kAdminGroup = "worlds-admin";
// Every roster student is a member: the sshd drop-in (data/ssh/worlds.conf.in)
// matches it to take forwarding away and force the menu.
inline constexpr const char* kStudentGroup = "worlds-students";
inline constexpr const char* kNoPassword = "*";  // no password login, keys still work

struct SyncRequest {
  std::string roster_file;
  std::string keys_dir;             // empty: no keys installed
  std::string shell = kMenuShell;   // every student's login shell
  std::string menu_target;          // when set, `shell` is made a symlink to it
  std::string shells_file = "/etc/shells";
  std::string admin_group = kAdminGroup;
  std::string student_group = kStudentGroup;  // roster students, not admins
  std::vector<std::string> admins;  // need not be in the roster
  std::optional<std::string> password_hash;  // crypt hash; default kNoPassword
  bool remove_missing = false;
};

struct SyncCounts {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  int keys_installed = 0;
  int removed = 0;
  int failed = 0;
  // "created 2, updated 0, unchanged 1, keys installed 2, removed 0, failed 0"
  std::string ToString() const;
};

// Who runs the sync, for the events rows (action "users-sync").
struct Actor {
  int64_t uid = -1;
  std::string name;
};

// What the default menu shell `shell` is made a link to: nothing ("") when
// it is a regular file (the package installed it); otherwise the worlds-menu
// program beside `self_exe` (the running `worlds`) when there is one, else
// `self_exe` itself (it runs the menu when called by the name worlds-menu).
std::string MenuLinkTarget(const std::string& shell, const std::string& self_exe);

// Validates everything first: an invalid roster or option throws
// core::Error with every diagnostic and "N error(s) in ...; nothing was
// changed", and nothing is changed. Then creates the student group (and
// the admin group when there are admins) when missing, and per account
// creates or updates it, puts a roster student in the student group, sets
// its password field, installs its keys and records it (users table;
// accounts table when created here). A failing account is reported
// on `out` ("FAILED user: ...") and as an error event, and the others go on.
// Writes one line per change and the counts as the last line.
SyncCounts SyncUsers(SystemAccounts& system, store::Store& store,
                     const SyncRequest& request, const Actor& actor, std::ostream& out);

}  // namespace accounts

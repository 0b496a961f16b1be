// The host's user database as `worlds users sync` needs it: look users and
// groups up, and change them through the shadow-utils programs (useradd,
// usermod, userdel, groupadd, gpasswd) run with argv vectors. Behind an
// interface so unit tests use a fake that records the argv vectors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace accounts {

struct UserInfo {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string full_name;  // the GECOS field
  std::string home;
  std::string shell;
  std::string password;   // the shadow field ("*", "!", a crypt hash); "" if unreadable
};

struct GroupInfo {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;  // supplementary members
};

class SystemAccounts {
 public:
  virtual ~SystemAccounts() = default;
  // nullopt when there is no such user / group. Never throws for absence.
  virtual std::optional<UserInfo> FindUser(const std::string& name) = 0;
  virtual std::optional<GroupInfo> FindGroup(const std::string& name) = 0;
  // Runs one account program, e.g. {"useradd", "--create-home", ...}.
  // Throws core::Error naming the program and quoting its stderr on failure.
  virtual void Run(const std::vector<std::string>& argv) = 0;
};

// The real one: getpwnam/getspnam/getgrnam and process::RunChecked. Changing
// accounts needs root; lookups do not (the password field reads as "" then).
std::unique_ptr<SystemAccounts> NewSystemAccounts();

}  // namespace accounts

// A SystemAccounts that keeps users and groups in memory, records every argv
// it was asked to run, and applies the shadow-utils programs the way they
// behave (useradd leaves the password field '!', --create-home makes the
// home under `home_root`). Homes are real directories owned by the test's
// own uid/gid, so key installation runs for real without root.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "accounts/system_accounts.h"
#include "core/error.h"

namespace accounts {

class FakeSystemAccounts : public SystemAccounts {
 public:
  explicit FakeSystemAccounts(std::string home_root) : home_root_(std::move(home_root)) {}

  std::vector<std::vector<std::string>> runs;
  std::map<std::string, UserInfo> users;
  std::map<std::string, GroupInfo> groups;
  std::string fail_program;  // Run of this program throws

  UserInfo& AddUser(const std::string& name, const std::string& full_name,
                    const std::string& shell, const std::string& password) {
    UserInfo& info = users[name];
    info = UserInfo{name, 0, static_cast<uint32_t>(::getgid()), full_name,
                    home_root_ + "/" + name, shell, password};
    std::filesystem::create_directories(info.home);
    info.uid = static_cast<uint32_t>(::getuid());  // chown to ourselves works unprivileged
    return info;
  }

  std::optional<UserInfo> FindUser(const std::string& name) override {
    auto it = users.find(name);
    if (it == users.end()) return std::nullopt;
    return it->second;
  }
  std::optional<GroupInfo> FindGroup(const std::string& name) override {
    auto it = groups.find(name);
    if (it == groups.end()) return std::nullopt;
    return it->second;
  }

  void Run(const std::vector<std::string>& argv) override {
    runs.push_back(argv);
    if (argv[0] == fail_program) {
      throw core::Error(argv[0] + " failed (exit 1): " + argv[0] + ": simulated failure");
    }
    const std::string& name = argv.back();
    if (argv[0] == "useradd") {
      std::string shell, comment, groups;
      for (size_t i = 1; i + 1 < argv.size(); ++i) {
        if (argv[i] == "--shell") shell = argv[i + 1];
        if (argv[i] == "--comment") comment = argv[i + 1];
        if (argv[i] == "--groups") groups = argv[i + 1];
      }
      // useradd fails on an unknown supplementary group, as the real one does.
      if (!groups.empty() && !this->groups.count(groups)) {
        throw core::Error("useradd failed (exit 6): useradd: group '" + groups +
                          "' does not exist");
      }
      AddUser(name, comment, shell, "!");
      if (!groups.empty()) this->groups.at(groups).members.push_back(name);
    } else if (argv[0] == "usermod") {
      UserInfo& info = users.at(name);
      for (size_t i = 1; i + 1 < argv.size(); ++i) {
        if (argv[i] == "--shell") info.shell = argv[i + 1];
        if (argv[i] == "--comment") info.full_name = argv[i + 1];
        if (argv[i] == "-p") info.password = argv[i + 1];
      }
    } else if (argv[0] == "userdel") {
      std::filesystem::remove_all(users.at(name).home);
      users.erase(name);
    } else if (argv[0] == "groupadd") {
      groups[name] = GroupInfo{name, 999, {}};
    } else if (argv[0] == "gpasswd") {
      groups.at(argv[3]).members.push_back(argv[2]);
    }
  }

 private:
  std::string home_root_;
};

}  // namespace accounts

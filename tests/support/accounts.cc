#include "support/accounts.h"

#include <pwd.h>

#include <iostream>

#include "core/error.h"
#include "process/process.h"

namespace support {

std::optional<uid_t> UidOf(const std::string& name) {
  struct passwd* pw = ::getpwnam(name.c_str());
  if (!pw) return std::nullopt;
  return pw->pw_uid;
}

StudentAccounts::~StudentAccounts() { RemoveAll(); }

uid_t StudentAccounts::Ensure(const std::string& name) {
  if (std::optional<uid_t> uid = UidOf(name)) return *uid;
  process::Result add =
      process::Run({"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name});
  if (add.exit_code != 0) {
    throw core::Error("cannot make test account: " + add.err, name,
                      "run the test as root (it makes Unix accounts)");
  }
  made_.push_back(name);
  std::optional<uid_t> uid = UidOf(name);
  if (!uid) throw core::Error("useradd succeeded but the account is not there", name);
  return *uid;
}

void StudentAccounts::Adopt(const std::string& name) { adopted_.push_back(name); }

namespace {

// Exit codes are ignored on purpose: an account someone removed already is
// the state we want. userdel missing is said, not thrown (a destructor).
void UserDel(const std::vector<std::string>& argv) {
  try {
    (void)process::Run(argv);
  } catch (const core::Error& e) {
    std::cerr << "test clean-up: " << e.Describe() << "\n";
  }
}

}  // namespace

void StudentAccounts::RemoveAll() {
  for (const std::string& name : made_) UserDel({"userdel", name});
  for (const std::string& name : adopted_) UserDel({"userdel", "--remove", name});
  made_.clear();
  adopted_.clear();
}

}  // namespace support

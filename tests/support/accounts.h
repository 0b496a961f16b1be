// Student accounts for tests that need real Unix users (the broker learns a
// caller's uid from SO_PEERCRED; sshd logs real users in): made on demand,
// and on destruction removed again - only the ones this object made or was
// handed, never an account that was there before. Needs root to make any.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace support {

// The uid of account `name`, or nullopt when there is none.
std::optional<uid_t> UidOf(const std::string& name);

class StudentAccounts {
 public:
  StudentAccounts() = default;
  // userdel (--remove, when the account's home was made for it) each
  // account made or adopted here; failures are ignored (best effort clean-up
  // of a test host, nothing to report to).
  ~StudentAccounts();
  StudentAccounts(const StudentAccounts&) = delete;
  StudentAccounts& operator=(const StudentAccounts&) = delete;

  // Makes `name` without a home and with /usr/sbin/nologin as shell, unless
  // it exists already (another test's: used as it is, not removed). Returns
  // its uid. Throws core::Error with useradd's message when it cannot.
  uid_t Ensure(const std::string& name);
  // Takes over `name`, made by the code under test (e.g. `users sync`) with
  // a home, to be removed with it.
  void Adopt(const std::string& name);
  // Removes every account made or adopted so far (the destructor's work,
  // for tests that must clean up before other teardown).
  void RemoveAll();

  const std::vector<std::string>& made() const { return made_; }
  const std::vector<std::string>& adopted() const { return adopted_; }

 private:
  std::vector<std::string> made_;     // by Ensure: no home
  std::vector<std::string> adopted_;  // by Adopt: userdel --remove
};

}  // namespace support

// The one error type of Worlds: what failed, where, and how to fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace core {

class Error : public std::runtime_error {
 public:
  // `what`: what is wrong, in words a user can act on.
  // `where`: file:line:col, a lab, a domain or a path; may be empty.
  // `fix`: what to do about it, when we know; may be empty.
  explicit Error(std::string what, std::string where = {}, std::string fix = {});

  const std::string& where() const { return where_; }
  const std::string& fix() const { return fix_; }
  const std::string& message() const { return message_; }

  // "where: what (fix)" with empty parts left out: the line a user reads.
  std::string Describe() const;

 private:
  std::string message_;
  std::string where_;
  std::string fix_;
};

// Bad input from the user (a lab, a roster, a name on the command line):
// nothing was changed, and the message names the place. `worlds` exits 2.
class InputError : public Error {
 public:
  using Error::Error;
};

}  // namespace core

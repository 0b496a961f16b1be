#include "support/error_text.h"

#include <gtest/gtest.h>

namespace support {

core::Error ThrownError(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const core::Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a core::Error, none was thrown";
  return core::Error("no error");
}

std::string ErrorText(const std::function<void()>& fn) { return ThrownError(fn).Describe(); }

}  // namespace support

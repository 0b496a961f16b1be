// The error-text matcher: run a statement that must throw core::Error and
// get the error back, so a test asserts the exact text a user will read
// (STYLE.md) instead of writing try / FAIL / catch each time.
#pragma once

#include <functional>
#include <string>

#include "core/error.h"

namespace support {

// Runs `fn` and returns the core::Error it threw. When it throws nothing,
// records a test failure ("expected a core::Error, none was thrown") and
// returns an Error whose message says so; any other exception propagates,
// so GoogleTest reports it.
core::Error ThrownError(const std::function<void()>& fn);

// ThrownError(fn).Describe(): "where: what (fix)", the line a user reads.
std::string ErrorText(const std::function<void()>& fn);

}  // namespace support

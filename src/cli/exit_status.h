// The exit codes of `worlds`, documented in README.md.
#pragma once

namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;      // ran, but some part failed
inline constexpr int kExitBadInput = 2;    // invalid lab, roster or usage
inline constexpr int kExitEnvironment = 3; // host not usable (libvirt, lock, ...)

}  // namespace cli

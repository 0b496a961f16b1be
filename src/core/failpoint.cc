#include "core/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace core {

namespace {

struct Armed {
  std::string name;  // empty: no failpoint armed
  long hit = 1;      // die on this hit
};

Armed ReadArmed() {
  Armed armed;
  const char* value = std::getenv("WORLDS_FAILPOINT");
  if (!value || !*value) return armed;
  std::string text = value;
  size_t at = text.find('@');
  armed.name = text.substr(0, at);
  if (at != std::string::npos) {
    armed.hit = std::strtol(text.c_str() + at + 1, nullptr, 10);
    if (armed.hit < 1) armed.hit = 1;
  }
  return armed;
}

}  // namespace

void FailPoint(const char* name) {
  static const Armed armed = ReadArmed();
  static std::atomic<long> hits{0};
  if (armed.name.empty() || armed.name != name) return;
  if (++hits < armed.hit) return;
  // Unbuffered and before the kill: the test's log says where it died.
  std::fprintf(stderr, "failpoint %s: killing pid %d\n", name, static_cast<int>(::getpid()));
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  ::pause();
}

}  // namespace core

// The one assertion of the fuzz targets: an invariant that does not hold
// prints what broke and aborts, which libFuzzer reports as a crash (with the
// input saved) and the regression driver as a failed test. assert() is not
// used because NDEBUG builds would drop it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n",       \
                   __FILE__, __LINE__, #condition);                    \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#include "cli/app.h"

#include <iostream>

namespace cli {

int Main(int, char**) {
  std::cerr << "worlds: not built yet\n";
  return 1;
}

}  // namespace cli

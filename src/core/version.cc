#include "core/version.h"

namespace core {

const char* Version() { return WORLDS_VERSION; }

}  // namespace core

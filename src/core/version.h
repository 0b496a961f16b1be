// The version of this build of Worlds (CMake's project version), for
// `worlds --version` and for the record state.db keeps of its migrations.
#pragma once

namespace core {

const char* Version();

}  // namespace core

// The `worlds` command line.
#pragma once

namespace cli {

// Parses argv, runs the command, prints errors a person can act on, and
// returns the process exit code (see kExit* in cli/exit_status.h).
int Main(int argc, char** argv);

// The version of this build (CMake's project version), e.g. "0.1.0";
// `worlds --version` prints "worlds <version>".
const char* Version();

}  // namespace cli

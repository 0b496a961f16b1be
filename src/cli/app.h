// The `worlds` command line.
#pragma once

namespace cli {

// Parses argv, runs the command, prints errors a person can act on, and
// returns the process exit code (see kExit* in cli/exit_status.h).
int Main(int argc, char** argv);

}  // namespace cli

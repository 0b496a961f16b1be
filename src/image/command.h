// Running a helper program (qemu-img, sha256sum) with an argv vector: never
// a shell, never a command line built as a string.
#pragma once

#include <string>
#include <vector>

namespace image {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH when it has no '/') with the rest as its
// arguments, waits, and returns its exit code and output. Throws core::Error
// when the program cannot be found or started.
CommandResult RunCommand(const std::vector<std::string>& argv);

// RunCommand, then throws core::Error naming the program and quoting its
// stderr when the exit code is not 0. Returns stdout.
std::string RunChecked(const std::vector<std::string>& argv);

}  // namespace image

#include "image/command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <future>
#include <system_error>

#include "core/error.h"

namespace image {
namespace {

namespace bp = boost::process;

// The Debian package that provides a program we run, for the fix text.
std::string InstallHint(const std::string& program) {
  if (program == "qemu-img") return "install qemu-utils (tools/install-deps)";
  if (program == "sha256sum") return "install coreutils (tools/install-deps)";
  if (program == "ssh-keygen") return "install openssh-client (tools/install-deps)";
  return "install it (tools/install-deps) or add its directory to PATH";
}

std::string Trim(const std::string& text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

boost::filesystem::path FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) != 0) {
      throw core::Error("program '" + program + "' not found", "", InstallHint(program));
    }
    return program;
  }
  boost::filesystem::path exe = bp::search_path(program);
  if (exe.empty()) {
    throw core::Error("program '" + program + "' not found in PATH", "", InstallHint(program));
  }
  return exe;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) {
    throw core::Error("internal error: RunCommand called without a program");
  }
  boost::filesystem::path exe = FindProgram(argv[0]);
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  CommandResult result;
  try {
    // Both pipes are drained concurrently by the io_context, so a child that
    // fills one pipe while we wait on the other cannot deadlock us.
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    bp::child child(exe, bp::args(args), bp::std_out > out, bp::std_err > err,
                    bp::std_in < bp::null, io);
    io.run();
    child.wait();
    result.out = out.get();
    result.err = err.get();
    int status = child.native_exit_code();
    // Like a shell: 128 + signal for a child killed by a signal.
    result.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  } catch (const std::system_error& e) {  // bp::process_error derives from it
    throw core::Error("cannot run '" + argv[0] + "': " + e.what(), exe.string());
  }
  return result;
}

std::string RunChecked(const std::vector<std::string>& argv) {
  CommandResult result = RunCommand(argv);
  if (result.exit_code != 0) {
    std::string message =
        "'" + argv[0] + "' failed with exit code " + std::to_string(result.exit_code);
    std::string err = Trim(result.err);
    if (!err.empty()) message += ": " + err;
    throw core::Error(message);
  }
  return std::move(result.out);
}

}  // namespace image

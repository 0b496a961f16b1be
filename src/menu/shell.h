// `worlds` as a student's login shell. sshd starts the login shell as
// argv[0] = "-worlds-menu" (a login) or "worlds-menu", with no arguments for
// an interactive session and with ["-c", CMD] for `ssh host CMD`, scp and
// sftp: those are refused, so the menu is the only thing an account can run.
#pragma once

#include <string>

namespace menu {

inline constexpr const char* kShellName = "worlds-menu";
inline constexpr const char* kCommandRefusedText =
    "This account offers only the Worlds menu; log in without a command.";

// Whether argv[0] names the menu shell: its basename, without leading '-',
// is "worlds-menu".
bool IsMenuShell(const char* argv0);

// The broker socket: `flag` when not empty, else env WORLDS_BROKER_SOCKET
// when set and not empty, else broker::kDefaultSocket.
std::string BrokerSocket(const std::string& flag);

// The caller's user name (getpwuid), or the uid in digits.
std::string CurrentUser();

// Entry point when IsMenuShell(argv[0]): any argument is refused with
// kCommandRefusedText on stderr and exit code 1; otherwise runs the menu on
// BrokerSocket("") and returns its exit code.
int ShellMain(int argc, char** argv);

// Runs the interactive menu against the broker at `socket_path`.
int RunInteractive(const std::string& socket_path);

}  // namespace menu

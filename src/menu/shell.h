// `worlds` as a student's login shell. sshd starts the login shell as
// argv[0] = "-worlds-menu" (a login) or "worlds-menu", with no arguments for
// an interactive session and with ["-c", CMD] for `ssh host CMD`, scp and
// sftp: those are refused, so the menu is the only thing an account can run.
// Under the installed sshd drop-in (ForceCommand <menu shell>), every session
// arrives as ["-c", "<menu shell>"], and what the client asked for, if
// anything (a command, scp, the sftp subsystem's program), is in the
// environment as SSH_ORIGINAL_COMMAND.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace menu {

inline constexpr const char* kShellName = "worlds-menu";
inline constexpr const char* kCommandRefusedText =
    "This account offers only the Worlds menu; log in without a command.";

// Whether argv[0] names the menu shell: its basename, without leading '-',
// is "worlds-menu".
bool IsMenuShell(const char* argv0);

// Whether a session may have the menu: no arguments (a plain login), or
// exactly ["-c", P] where `names_menu_shell(P)` (sshd's ForceCommand running
// the menu through the login shell) and no SSH_ORIGINAL_COMMAND
// (`original_command` nullopt: the client asked for no command, subsystem or
// scp). Everything else is refused. `args` are argv[1..].
bool MayRunMenu(const std::vector<std::string>& args,
                const std::optional<std::string>& original_command,
                const std::function<bool(const std::string&)>& names_menu_shell);

// Whether `path` is this running program: the same file as /proc/self/exe,
// symlinks followed (a development build's link to the program counts).
bool NamesThisShell(const std::string& path);

// The caller's user name (getpwuid), or the uid in digits.
std::string CurrentUser();

// Entry point when IsMenuShell(argv[0]): unless MayRunMenu (with env
// SSH_ORIGINAL_COMMAND and NamesThisShell), prints kCommandRefusedText on
// stderr and returns 1; otherwise runs the menu on the broker at
// `socket_path` (the broker-socket setting) and returns its exit code.
int ShellMain(int argc, char** argv, const std::string& socket_path);

// Runs the interactive menu against the broker at `socket_path`.
int RunInteractive(const std::string& socket_path);

}  // namespace menu

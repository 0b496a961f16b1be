// The login-shell entry. Nothing here ever execs: refusing a command is the
// whole of our answer to `ssh host CMD`, scp, sftp and rsync.
#include "menu/shell.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "broker_client/client.h"
#include "menu/backend.h"
#include "menu/view.h"

namespace menu {

bool IsMenuShell(const char* argv0) {
  if (!argv0) return false;
  const char* base = std::strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  while (*base == '-') ++base;
  return std::strcmp(base, kShellName) == 0;
}

std::string CurrentUser() {
  struct passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : std::to_string(::getuid());
}

bool MayRunMenu(const std::vector<std::string>& args,
                const std::optional<std::string>& original_command,
                const std::function<bool(const std::string&)>& names_menu_shell) {
  // A client's command is refused even when the forced command is the menu:
  // `ssh host CMD` or scp would otherwise get a menu drawn into a pipe.
  if (original_command) return false;
  if (args.empty()) return true;
  return args.size() == 2 && args[0] == "-c" && names_menu_shell(args[1]);
}

bool NamesThisShell(const std::string& path) {
  struct stat self {}, other {};
  if (::stat("/proc/self/exe", &self) != 0 || ::stat(path.c_str(), &other) != 0) return false;
  return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

int ShellMain(int argc, char** argv, const std::string& socket_path) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* original = std::getenv("SSH_ORIGINAL_COMMAND");
  if (!MayRunMenu(args, original ? std::optional<std::string>(original) : std::nullopt,
                  NamesThisShell)) {
    std::cerr << kCommandRefusedText << std::endl;
    return 1;
  }
  return RunInteractive(socket_path);
}

int RunInteractive(const std::string& socket_path) {
  std::unique_ptr<Backend> backend = NewBrokerBackend(socket_path);
  return RunMenu(*backend, CurrentUser());
}

}  // namespace menu

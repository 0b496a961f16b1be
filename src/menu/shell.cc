// The login-shell entry. Nothing here ever execs: refusing a command is the
// whole of our answer to `ssh host CMD`, scp, sftp and rsync.
#include "menu/shell.h"

#include <pwd.h>
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

std::string BrokerSocket(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("WORLDS_BROKER_SOCKET");
  if (env && *env) return env;
  return broker::kDefaultSocket;
}

std::string CurrentUser() {
  struct passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : std::to_string(::getuid());
}

int ShellMain(int argc, char** argv) {
  (void)argv;
  if (argc > 1) {
    std::cerr << kCommandRefusedText << std::endl;
    return 1;
  }
  return RunInteractive(BrokerSocket(""));
}

int RunInteractive(const std::string& socket_path) {
  std::unique_ptr<Backend> backend = NewBrokerBackend(socket_path);
  return RunMenu(*backend, CurrentUser());
}

}  // namespace menu

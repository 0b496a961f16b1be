// `worlds menu`: the students' menu (also their login shell, see
// menu/shell.h), its one-shot actions, and the Pdmenu rc generator.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "broker_client/client.h"
#include "menu/backend.h"
#include "menu/console.h"
#include "menu/model.h"
#include "menu/one_shot.h"
#include "menu/pdmenu.h"
#include "menu/shell.h"
#include "menu/view.h"

namespace cli {
namespace {

struct MenuOptions {
  std::string socket;
  bool pdmenu = false;
  std::string console, start, shutdown, poweroff, revert;
  bool yes = false;
};

// One key from the terminal (raw, so no Enter is needed), or one character
// of piped input.
int ReadAnswer() {
  menu::RawTerminal raw(STDIN_FILENO);
  unsigned char c = 0;
  return ::read(STDIN_FILENO, &c, 1) == 1 ? c : EOF;
}

std::string SelfPath(const std::string& fallback) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : fallback;
}

int RunMenuCommand(const Globals& globals, const MenuOptions& options) {
  std::string socket = options.socket.empty() ? globals.settings["broker-socket"]
                                              : options.socket;
  std::unique_ptr<menu::Backend> backend = menu::NewBrokerBackend(socket);
  if (options.pdmenu) {
    broker::Reply list;
    try {
      list = backend->List();
    } catch (const core::Error&) {
      std::cerr << menu::kUnavailableText << "\n";
      return kExitFailed;
    }
    if (!list.ok) throw core::Error(list.error, socket);
    menu::PdmenuOptions pdmenu;
    pdmenu.program = SelfPath("worlds");
    pdmenu.socket = options.socket.empty() ? "" : socket;
    std::cout << menu::PdmenuRc(menu::CurrentUser(), list.vms, pdmenu);
    return kExitOk;
  }
  if (!options.console.empty()) return menu::RunConsoleOnce(*backend, options.console, std::cerr);
  const std::pair<const std::string*, broker::Op> one_shots[] = {
      {&options.start, broker::Op::kStart},
      {&options.shutdown, broker::Op::kShutdown},
      {&options.poweroff, broker::Op::kPowerOff},
      {&options.revert, broker::Op::kRevert},
  };
  for (const auto& [domain, op] : one_shots) {
    if (!domain->empty()) {
      return menu::RunOneShot(*backend, op, *domain, options.yes, ReadAnswer, std::cout,
                              std::cerr);
    }
  }
  return menu::RunMenu(*backend, menu::CurrentUser());
}

}  // namespace

void AddMenuCommand(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* cmd = app.add_subcommand(
      "menu", "The students' menu of their VMs (their login shell), or one action on a VM");
  auto options = std::make_shared<MenuOptions>();
  cmd->add_option("--socket", options->socket,
                  "the broker's socket (default: broker-socket in worlds.conf, env "
                  "WORLDS_BROKER_SOCKET, else " +
                      std::string(broker::kDefaultSocket) + ")");
  CLI::Option* pdmenu =
      cmd->add_flag("--pdmenu", options->pdmenu, "print a Pdmenu rc file of your VMs and exit");
  std::vector<CLI::Option*> actions = {pdmenu};
  actions.push_back(cmd->add_option("--console", options->console,
                                    "attach to DOMAIN's serial console (Ctrl-] leaves)"));
  actions.push_back(cmd->add_option("--start", options->start, "start DOMAIN"));
  actions.push_back(
      cmd->add_option("--shutdown", options->shutdown, "ask DOMAIN to shut down"));
  actions.push_back(cmd->add_option("--poweroff", options->poweroff, "power DOMAIN off"));
  actions.push_back(cmd->add_option("--revert", options->revert,
                                    "revert DOMAIN to its clean snapshot (asks first)"));
  cmd->add_flag("--yes", options->yes, "with --revert: do not ask");
  for (CLI::Option* a : actions) {
    for (CLI::Option* b : actions) {
      if (a != b) a->excludes(b);
    }
  }
  commands.emplace_back(cmd, [&globals, options] { return RunMenuCommand(globals, *options); });
}

}  // namespace cli

// `worlds top`: the host while the class works, redrawn every --interval
// seconds until interrupted (or printed once: --once, --json). The view is
// deploy/host_view.h's; who is on a console comes from the broker (root is
// an admin there), and is shown as unknown when no broker answers.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "broker_client/client.h"
#include "cli/command.h"
#include "cli/exit_status.h"
#include "cli/status_output.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/host_view.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace cli {
namespace {

struct TopOptions {
  bool once = false;
  bool json = false;
  int interval = 2;
};

// Domain -> user on its console, from the broker; nullopt (and `why`) when
// it cannot be asked.
std::optional<std::map<std::string, std::string>> Consoles(const std::string& socket,
                                                           std::string* why) {
  try {
    broker::Client client(socket);
    broker::Reply reply = client.Call({broker::Op::kList, ""});
    if (!reply.ok) {
      *why = "Who is on a console: unknown (the broker refused: " + reply.error + ")";
      return std::nullopt;
    }
    std::map<std::string, std::string> consoles;
    for (const broker::VmView& vm : reply.vms) {
      if (!vm.console_user.empty()) consoles[vm.domain] = vm.console_user;
    }
    return consoles;
  } catch (const core::Error& e) {
    *why = "Who is on a console: unknown (" + e.Describe() + ")";
    return std::nullopt;
  }
}

int RunTop(const Globals& globals, const TopOptions& options) {
  const deploy::Context& context = globals.context;
  std::unique_ptr<virt::Hypervisor> hypervisor = virt::NewLibvirtHypervisor(context.connect);
  bool redraw = !options.once && !options.json && ::isatty(STDOUT_FILENO);
  for (;;) {
    std::vector<store::VmRecord> vms;
    {
      std::unique_ptr<store::Store> store =
          store::Store::Open(core::StateDbPath(context.state_dir));
      vms = store->Vms(std::nullopt, std::nullopt);
    }
    std::string why;
    std::optional<std::map<std::string, std::string>> consoles =
        Consoles(globals.settings["broker-socket"], &why);
    std::vector<virt::DomainUsage> usage;
    virt::HostInfo host;
    try {
      usage = hypervisor->Usage("");
      host = hypervisor->Host();
    } catch (const core::Error& e) {
      // A screen that is watched keeps going through a libvirtd restart
      // (the connection is opened again on the next read); a one-off
      // answer is an error.
      if (options.once || options.json) throw;
      if (redraw) std::cout << "\x1b[H\x1b[2J";
      std::cout << "Cannot read the host now: " << e.Describe() << "\nTrying again every "
                << options.interval << " s (Ctrl-C to stop).\n";
      if (!redraw) std::cout << "\n";
      std::cout << std::flush;
      std::this_thread::sleep_for(std::chrono::seconds(options.interval));
      continue;
    }
    deploy::HostView view =
        deploy::BuildHostView(vms, usage, host, context.capacity.budget, consoles);
    if (options.json) {
      std::cout << FormatTopJson(view);
      return kExitOk;
    }
    if (redraw) std::cout << "\x1b[H\x1b[2J";  // home, clear: a screen, not a scroll
    std::cout << FormatTop(view, why) << std::flush;
    if (options.once) return kExitOk;
    if (!redraw) std::cout << "\n";
    std::this_thread::sleep_for(std::chrono::seconds(options.interval));
  }
}

}  // namespace

void AddTopCommand(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* cmd = app.add_subcommand(
      "top", "The host while the class works: memory committed against the budget, and per "
             "lab the VMs running and who is on a console, redrawn until Ctrl-C");
  auto options = std::make_shared<TopOptions>();
  cmd->add_flag("--once", options->once, "print once and exit");
  cmd->add_flag("--json", options->json, "print once, as JSON");
  cmd->add_option("--interval", options->interval, "seconds between redraws")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  commands.emplace_back(cmd, [&globals, options] { return RunTop(globals, *options); });
}

}  // namespace cli

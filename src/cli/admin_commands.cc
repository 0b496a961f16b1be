// The admin's actions on deployed VMs: `worlds revert`, `start`, `stop`
// (root, straight over libvirt) and `worlds events` (the audit trail).
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/events_view.h"
#include "cli/exit_status.h"
#include "cli/since.h"
#include "core/names.h"
#include "deploy/actions.h"
#include "deploy/lab_hosts.h"
#include "store/store.h"

namespace cli {
namespace {

void AddAction(CLI::App& app, Globals& globals, Commands& commands, const char* name,
               const char* help, deploy::AdminAction action) {
  CLI::App* cmd = app.add_subcommand(name, help);
  auto request = std::make_shared<deploy::ActionRequest>();
  auto owner = std::make_shared<std::string>();
  auto vm = std::make_shared<std::string>();
  cmd->add_option("lab", request->lab, "labs/NAME.yaml or the lab's name")->required();
  CLI::Option* owner_opt = cmd->add_option("--owner", *owner, "only this owner's World");
  cmd->add_option("--vm", *vm, "only this VM");
  if (action == deploy::AdminAction::kRevert) {
    cmd->add_flag("--all", request->all, "every World of the lab")->excludes(owner_opt);
  }
  if (action == deploy::AdminAction::kStop) {
    cmd->add_flag("--force", request->force, "power off instead of an ACPI shutdown");
  }
  cmd->add_option("--jobs,-j", globals.context.jobs, "parallel connections (default: cores)")
      ->check(CLI::Range(1, 256));
  commands.emplace_back(cmd, [&globals, request, owner, vm, action] {
    if (!owner->empty()) request->owner = *owner;
    if (!vm->empty()) request->vm = *vm;
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(globals.context.state_dir));
    deploy::Env env = deploy::RealEnv(globals.context);
    deploy::LabHosts hosts(globals.context, env, store->Hosts());
    deploy::ActionTotals totals = deploy::RunVmAction(globals.context, *store, hosts.Connector(),
                                                      action, *request, std::cout);
    // Refused only because a deploy or destroy held the Worlds: the host
    // was busy (as a held state lock is), not the action failing.
    if (totals.AllOk()) return kExitOk;
    return totals.OnlyBusy() ? kExitEnvironment : kExitFailed;
  });
}

}  // namespace

void AddAdminCommands(CLI::App& app, Globals& globals, Commands& commands) {
  AddAction(app, globals, commands, "revert", "Revert VMs to their clean snapshot",
            deploy::AdminAction::kRevert);
  AddAction(app, globals, commands, "start", "Start VMs", deploy::AdminAction::kStart);
  AddAction(app, globals, commands, "stop", "Shut VMs down (ACPI; --force powers off)",
            deploy::AdminAction::kStop);

  CLI::App* events_cmd = app.add_subcommand("events", "The audit trail: who did what, when");
  auto request = std::make_shared<EventsRequest>();
  auto owner = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>();
  events_cmd->add_option("--owner", *owner, "events by or about this user");
  events_cmd->add_option("--since", *since,
                         std::string("at or after this time: ") + kSinceForms +
                             "; without a zone, UTC");
  events_cmd->add_option("--limit", request->limit, "at most this many, the newest")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  events_cmd->add_flag("--json", request->json, "machine-readable output");
  commands.emplace_back(events_cmd, [&globals, request, owner, since] {
    if (!owner->empty()) request->owner = *owner;
    if (!since->empty()) {
      request->since_text = *since;
      request->since = ParseSince(*since, std::chrono::system_clock::now());
    }
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(globals.context.state_dir));
    ShowEvents(*store, *request, std::cout);
    return kExitOk;
  });
}

}  // namespace cli

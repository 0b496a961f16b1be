// How `worlds` subcommands are put together: each command file adds its
// subcommands to the CLI11 tree and returns what to run when one of them was
// given. Runners see the global options, already resolved.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "deploy/operations.h"
#include "settings/settings.h"
#include "store/store.h"

namespace cli {

// The global options (--state-dir, --connect, --accel, ...), resolved
// after parsing: defaults filled in, the caller's identity known.
struct Globals {
  deploy::Context context;
  std::string accel;  // as set; context.accel is the resolved one
  // Every setting and where it came from (flag, environment, config file,
  // default); commands read admin-group and broker-socket here.
  settings::Settings settings;
};

// The state database when it exists, else an empty one in memory: reading
// commands (a listing, a state) must not create state.db on a host where
// nothing was deployed yet.
std::unique_ptr<store::Store> OpenExistingState(const Globals& globals);

// A runner returns the process exit code (cli/exit_status.h) and may throw
// core::Error, which Main prints.
using Runner = std::function<int()>;
using Commands = std::vector<std::pair<CLI::App*, Runner>>;

// Each adds its subcommands to `app`; runners capture `globals` by
// reference and read it only when run.
void AddLabCommands(CLI::App& app, Globals& globals, Commands& commands);
void AddImageCommands(CLI::App& app, Globals& globals, Commands& commands);
void AddDeployCommands(CLI::App& app, Globals& globals, Commands& commands);
void AddDoctorCommand(CLI::App& app, Globals& globals, Commands& commands);
void AddUsersCommands(CLI::App& app, Globals& globals, Commands& commands);
void AddAdminCommands(CLI::App& app, Globals& globals, Commands& commands);
void AddBrokerCommand(CLI::App& app, Globals& globals, Commands& commands);
void AddMenuCommand(CLI::App& app, Globals& globals, Commands& commands);
void AddConfigCommand(CLI::App& app, Globals& globals, Commands& commands);
void AddTopCommand(CLI::App& app, Globals& globals, Commands& commands);
void AddHostCommands(CLI::App& app, Globals& globals, Commands& commands);
// `worlds hook network ...`: run by libvirt's network hook, not by people.
void AddHookCommands(CLI::App& app, Globals& globals, Commands& commands);

}  // namespace cli

// `worlds users sync`: Unix accounts for a roster, with the menu as shell.
#include <filesystem>
#include <iostream>
#include <memory>

#include "accounts/sync.h"
#include "cli/command.h"
#include "cli/exit_status.h"
#include "core/names.h"
#include "store/store.h"

namespace cli {

void AddUsersCommands(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* users_cmd = app.add_subcommand("users", "Unix accounts of the students");
  users_cmd->require_subcommand(1);
  CLI::App* sync_cmd = users_cmd->add_subcommand(
      "sync", "Create or update one account per roster student (login shell: the menu)");
  auto request = std::make_shared<accounts::SyncRequest>();
  auto hash = std::make_shared<std::string>();
  sync_cmd->add_option("--roster", request->roster_file, "roster CSV")->required();
  sync_cmd->add_option("--keys-dir", request->keys_dir,
                       "public keys: DIR/USER.pub or DIR/USER/authorized_keys");
  sync_cmd->add_option("--shell", request->shell, "login shell of the students")
      ->capture_default_str();
  auto admin_group = sync_cmd->add_option(
      "--admin-group", request->admin_group,
      "Unix group whose members may act on any VM (default: admin-group in worlds.conf, "
      "worlds-admin)");
  sync_cmd->add_option("--admins", request->admins,
                       "admin accounts, comma-separated (need not be in the roster)")
      ->delimiter(',');
  sync_cmd->add_option("--password-hash", *hash,
                       "crypt(3) hash to allow password login (default: keys only, '*')");
  sync_cmd->add_flag("--remove-missing", request->remove_missing,
                     "delete accounts Worlds created that are no longer in the roster");
  commands.emplace_back(sync_cmd, [&globals, request, hash, admin_group] {
    if (!hash->empty()) request->password_hash = *hash;
    if (admin_group->count() == 0) request->admin_group = globals.settings["admin-group"];
    // The default menu shell: the installed program as it is; in a
    // development build, a link to the worlds-menu built beside us.
    if (request->shell == accounts::kMenuShell) {
      request->menu_target = accounts::MenuLinkTarget(request->shell, globals.context.worker_exe);
    }
    std::filesystem::create_directories(globals.context.state_dir);
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(globals.context.state_dir));
    std::unique_ptr<accounts::SystemAccounts> system = accounts::NewSystemAccounts();
    accounts::SyncCounts counts =
        accounts::SyncUsers(*system, *store, *request,
                            accounts::Actor{globals.context.uid, globals.context.actor},
                            std::cout);
    return counts.failed == 0 ? kExitOk : kExitFailed;
  });
}

}  // namespace cli

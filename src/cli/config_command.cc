// `worlds config`: every setting in effect and where it came from (a flag,
// the environment, the config file or the default), so an admin sees at
// once why the broker or a deploy used the value it did.
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "cli/table.h"
#include "core/names.h"
#include "store/store.h"

namespace cli {
namespace {

// What the program uses for a setting that is left unset.
std::string Effective(const Globals& globals, const std::string& name,
                      const settings::Value& value) {
  if (!value.value.empty()) return value.value;
  if (name == "image-dir") return globals.context.ImageDir();
  if (name == "accel") return globals.context.accel;
  return value.value;
}

std::string From(const std::string& name, const settings::Value& value) {
  switch (value.source) {
    case settings::Source::kFlag: return "flag " + value.origin;
    case settings::Source::kEnvironment: return "environment " + value.origin;
    case settings::Source::kFile: return "file " + value.origin;
    case settings::Source::kDefault: break;
  }
  if (name == "image-dir") return "default (<state-dir>/images)";
  if (name == "accel") return "default (what `worlds doctor` found working, else qemu)";
  if (name == "jobs") return "default (the number of cores)";
  return "default";
}

// "schema 4, migrated to 4 by worlds 0.2.0 at T", or why there is none.
// Opens state.db only when it exists: printing settings creates nothing.
std::string StateDbLine(const Globals& globals) {
  std::string path = core::StateDbPath(globals.context.state_dir);
  if (!std::filesystem::exists(path)) return path + " (none yet: the first deploy makes it)";
  std::unique_ptr<store::Store> store = store::Store::Open(path);
  std::string line = path + " (schema " + std::to_string(store->SchemaVersion());
  std::vector<store::Store::SchemaChange> history = store->SchemaHistory();
  if (!history.empty()) {
    const store::Store::SchemaChange& last = history.back();
    line += ", migrated to " + std::to_string(last.version) + " by worlds " +
            last.worlds_version + " at " + last.applied_at;
  }
  return line + ")";
}

int RunConfig(const Globals& globals, bool json) {
  const settings::Settings& s = globals.settings;
  std::string file_state = s.config_read() ? "read" : "not found: defaults apply";
  if (json) {
    nlohmann::json out = {{"config_file", {{"path", s.config_file()},
                                           {"from", s.config_origin()},
                                           {"read", s.config_read()}}}};
    for (const settings::Key& key : settings::Keys()) {
      const settings::Value& value = s.Get(key.name);
      out["settings"][key.name] = {{"value", Effective(globals, key.name, value)},
                                   {"source", settings::SourceName(value.source)},
                                   {"from", From(key.name, value)}};
    }
    out["state_db"] = StateDbLine(globals);
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "config file: " << s.config_file() << " (" << file_state;
  if (s.config_origin() != "default") std::cout << "; named by " << s.config_origin();
  std::cout << ")\n";
  Table table({"SETTING", "VALUE", "FROM"});
  for (const settings::Key& key : settings::Keys()) {
    const settings::Value& value = s.Get(key.name);
    table.AddRow({key.name, Effective(globals, key.name, value), From(key.name, value)});
  }
  table.Print(std::cout);
  std::cout << "state.db: " << StateDbLine(globals) << "\n";
  return kExitOk;
}

}  // namespace

void AddConfigCommand(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* cmd = app.add_subcommand(
      "config", "Print the settings in effect and where each came from (flag, environment, "
                "config file, default)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "as JSON");
  commands.emplace_back(cmd, [&globals, json] { return RunConfig(globals, *json); });
}

}  // namespace cli

// `worlds lab validate`, `worlds lab open|close|follow-schedule|state` and
// `worlds roster validate`.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "cli/lab_state.h"
#include "config/lab_parser.h"
#include "config/roster_parser.h"
#include "core/names.h"
#include "deploy/inspections.h"
#include "schedule/schedule.h"
#include "store/store.h"

namespace cli {

namespace {

int ValidateLab(const deploy::Context& context, const std::string& path, bool inspect) {
  config::LabParseResult parsed = config::ParseLabFile(path, context.ImageDir());
  for (const config::Diagnostic& d : parsed.errors) std::cerr << d.ToString() << "\n";
  if (!parsed.errors.empty()) {
    std::cerr << parsed.errors.size() << " error(s) in " << path << "\n";
    return kExitBadInput;
  }
  const core::Lab& lab = *parsed.lab;
  std::map<std::string, guest::OsInfo> images;
  if (inspect) {
    // Validation changes nothing: recorded inspections are read, the
    // others are made now and not kept (a deploy keeps its own).
    std::unique_ptr<store::Store> store;
    if (std::filesystem::exists(core::StateDbPath(context.state_dir))) {
      store = store::Store::Open(core::StateDbPath(context.state_dir));
    }
    guest::GuestfsOptions options{context.guestfs_backend, context.guestfs_settings, false};
    images = deploy::InspectLabImages(lab, store.get(), /*record=*/false, options, std::cerr);
    deploy::CheckCustomizable(lab, images);
    for (const std::string& w : deploy::ImageWarnings(lab, images)) std::cerr << w << "\n";
  }
  std::cout << path << ": ok: lab '" << lab.name << "', " << lab.vms.size()
            << " VM(s), " << lab.networks.size() << " network(s), "
            << lab.images.size() << " image(s)\n";
  if (lab.schedule) std::cout << "  schedule: " << schedule::Summary(*lab.schedule) << "\n";
  if (lab.idle) {
    std::cout << "  idle shutdown: after " << lab.idle->after_minutes
              << " min without a console and under 2% CPU\n";
  }
  for (const auto& [name, os] : images) {
    std::cout << "  image '" << name << "': " << os.product_name << ", " << os.init << ", "
              << os.network_stack << "\n";
  }
  return kExitOk;
}

int ValidateRoster(const std::string& path) {
  config::RosterParseResult parsed = config::ParseRosterFile(path);
  for (const config::Diagnostic& d : parsed.errors) std::cerr << d.ToString() << "\n";
  if (!parsed.errors.empty()) {
    std::cerr << parsed.errors.size() << " error(s) in " << path << "\n";
    return kExitBadInput;
  }
  std::set<std::string> groups;
  for (const core::Student& s : parsed.roster->students) groups.insert(s.group);
  std::cout << path << ": ok: " << parsed.roster->students.size() << " student(s) in "
            << groups.size() << " group(s)\n";
  return kExitOk;
}

}  // namespace

void AddLabCommands(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* lab = app.add_subcommand("lab", "Lab definitions");
  lab->require_subcommand(1);
  CLI::App* validate = lab->add_subcommand("validate", "Check a lab file; print every error");
  auto lab_file = std::make_shared<std::string>();
  validate->add_option("lab", *lab_file, "labs/NAME.yaml")->required();
  auto no_inspect = std::make_shared<bool>(false);
  validate->add_flag("--no-inspect", *no_inspect,
                     "check the file only; do not inspect the images with libguestfs");
  commands.emplace_back(validate, [&globals, lab_file, no_inspect] {
    return ValidateLab(globals.context, *lab_file, !*no_inspect);
  });

  struct Switch {
    const char* name;
    const char* help;
    LabSwitch what;
  };
  for (const Switch& s :
       {Switch{"open", "Open a lab now, whatever its schedule says", LabSwitch::kOpen},
        Switch{"close", "Close a lab now: its VMs are shut down", LabSwitch::kClose},
        Switch{"follow-schedule", "Drop the override: the schedule decides again",
               LabSwitch::kFollowSchedule}}) {
    CLI::App* cmd = lab->add_subcommand(s.name, s.help);
    auto request = std::make_shared<LabSwitchRequest>();
    request->what = s.what;
    cmd->add_option("lab", request->lab, "the lab's name or labs/NAME.yaml")->required();
    auto until = std::make_shared<std::string>();
    if (s.what != LabSwitch::kFollowSchedule) {
      cmd->add_option("--until", *until,
                      "until then, not until changed again: \"YYYY-MM-DD HH:MM\" in the "
                      "lab's time zone, or 90m, 2h, 1d");
    }
    commands.emplace_back(cmd, [&globals, request, until] {
      if (!until->empty()) request->until = *until;
      request->actor = globals.context.actor;
      request->uid = globals.context.uid;
      std::unique_ptr<store::Store> store = OpenExistingState(globals);
      SwitchLab(*store, *request, std::chrono::system_clock::now(), std::cout);
      return kExitOk;
    });
  }
  CLI::App* state = lab->add_subcommand("state", "Whether each deployed lab is open, and why");
  auto state_lab = std::make_shared<std::string>();
  auto state_json = std::make_shared<bool>(false);
  state->add_option("lab", *state_lab, "only this lab");
  state->add_flag("--json", *state_json, "machine-readable output");
  commands.emplace_back(state, [&globals, state_lab, state_json] {
    std::optional<std::string> only;
    if (!state_lab->empty()) only = *state_lab;
    std::unique_ptr<store::Store> store = OpenExistingState(globals);
    ShowLabState(*store, only, *state_json, std::chrono::system_clock::now(), std::cout);
    return kExitOk;
  });

  CLI::App* roster = app.add_subcommand("roster", "Rosters");
  roster->require_subcommand(1);
  CLI::App* check = roster->add_subcommand("validate", "Check a roster CSV");
  auto roster_file = std::make_shared<std::string>();
  check->add_option("roster", *roster_file, "roster.csv")->required();
  commands.emplace_back(check, [roster_file] { return ValidateRoster(*roster_file); });
}

}  // namespace cli

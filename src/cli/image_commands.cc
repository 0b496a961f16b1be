// `worlds image inspect` (what Worlds finds in an image and will do to its
// clones) and `worlds known-hosts` (the host keys each VM was given).
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "config/lab_parser.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/plan.h"
#include "deploy/protocol.h"
#include "guest/changes.h"
#include "guest/inspector.h"
#include "store/store.h"

namespace cli {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void PrintReport(const std::string& file, const guest::OsInfo& os, std::ostream& out) {
  out << file << ": " << os.product_name;
  if (os.type == "linux") {
    out << " (" << os.distro << " " << os.major << "." << os.minor << ", " << os.package_format
        << " packages)";
  }
  out << "\n";
  if (os.type != "linux") return;
  out << "  init:            " << os.init << "\n";
  out << "  filesystems:     ";
  for (size_t i = 0; i < os.mounts.size(); ++i) {
    out << (i ? ", " : "") << os.mounts[i].mountpoint << " on " << os.mounts[i].device;
  }
  out << (os.lvm ? " (LVM)" : "") << "\n";
  out << "  network stacks:  " << (os.network_stacks.empty() ? "none" : Join(os.network_stacks))
      << "\n";
  out << "  configured by:   "
      << (os.network_stack.empty() ? "nothing Worlds can write" : os.network_stack)
      << (os.udev ? "; NICs named after their lab network (udev .link files)"
                  : "; NICs keep the kernel's names (eth0, eth1, ...)")
      << "\n";
  if (!os.dhcp_configs.empty()) out << "  DHCP removed:    " << Join(os.dhcp_configs) << "\n";
  out << "  cloud-init:      " << (os.cloud_init ? "installed (Worlds disables it)" : "no") << "\n";
  out << "  serial console:  "
      << (os.serial_console ? "yes (console=ttyS0 in " + os.boot_config + ")" : "NO") << "\n";
  out << "  first boot:      " << os.rc_local << " via "
      << (os.first_boot_runner.empty() ? "nothing known" : os.first_boot_runner) << "\n";
  out << "  sshd:            " << (os.sshd ? "yes" : "no")
      << (os.ssh_host_keys.empty() ? "" : "; base host keys replaced per clone") << "\n";
  out << "Worlds will, in each clone:\n";
  for (const guest::Operation& op : guest::Operations()) {
    if (op.applies(os)) out << "  - " << op.name << ": " << op.description << "\n";
  }
}

int InspectImage(const deploy::Context& context, const std::string& file, const std::string& format,
                 bool json) {
  if (!std::filesystem::is_regular_file(file)) {
    throw core::InputError("no such image file", file);
  }
  guest::GuestfsOptions options{context.guestfs_backend, context.guestfs_settings, false};
  if (!json) std::cerr << "Inspecting " << file << " with libguestfs...\n";
  guest::OsInfo os = guest::InspectImages({{file, format}}, options).at(0);
  std::string problem = guest::CustomizeProblem(os);
  std::vector<std::string> warnings = guest::Warnings(os);
  if (json) {
    nlohmann::json ops = nlohmann::json::array();
    for (const guest::Operation& op : guest::Operations()) {
      if (op.applies(os)) ops.push_back({{"name", op.name}, {"description", op.description}});
    }
    nlohmann::json report = nlohmann::json::parse(deploy::EncodeOsInfo(os));
    report.erase("files");  // the base's file texts are for the customizer
    std::cout << nlohmann::json{{"file", file},         {"customizable", problem.empty()},
                                {"problem", problem},   {"warnings", warnings},
                                {"inspection", report}, {"operations", ops}}
                     .dump(2)
              << "\n";
  } else {
    PrintReport(file, os, std::cout);
    for (const std::string& w : warnings) std::cout << "warning: " << w << "\n";
    if (!problem.empty()) std::cout << "cannot be used in a lab: " << problem << "\n";
  }
  return problem.empty() ? kExitOk : kExitBadInput;
}

// known_hosts lines for every recorded VM of `lab_file`'s lab (one owner's
// with `owner`): "<hostname>,<vm>,<address> <key>" per host key.
int KnownHosts(const deploy::Context& context, const std::string& lab_file,
               const std::optional<std::string>& owner) {
  config::LabParseResult parsed = config::ParseLabFile(lab_file, context.ImageDir());
  if (!parsed.lab) {
    std::string text;
    for (const config::Diagnostic& d : parsed.errors) text += d.ToString() + "\n";
    throw core::InputError(text + "the lab is needed for the VMs' names and addresses", lab_file);
  }
  const core::Lab& lab = *parsed.lab;
  std::unique_ptr<store::Store> store = store::Store::Open(core::StateDbPath(context.state_dir));
  std::vector<core::World> worlds;
  for (const store::WorldRecord& w : store->Worlds(lab.name, owner)) {
    worlds.push_back({w.lab, w.owner, w.index});
  }
  deploy::Plan plan = deploy::DesiredPlan(lab, worlds, {context.state_dir, "qemu", false, {}});
  int lines = 0;
  for (const deploy::WorldPlan& world : plan.worlds) {
    std::cout << "# World of " << world.world.owner << " (lab " << lab.name << ")\n";
    for (const deploy::VmPlan& vm : world.vms) {
      std::optional<store::VmRecord> row = store->FindVmByDomain(vm.domain);
      if (!row || row->identity.empty()) {
        std::cout << "# " << vm.vm << ": no host keys recorded (not deployed yet)\n";
        continue;
      }
      std::string hosts = vm.edit.hostname;
      if (vm.vm != vm.edit.hostname) hosts += "," + vm.vm;
      for (const guest::NicConfig& nic : vm.edit.nics) hosts += "," + nic.address;
      nlohmann::json identity = nlohmann::json::parse(row->identity, nullptr, false);
      if (identity.is_discarded()) continue;
      for (const auto& key : identity.value("host_keys", nlohmann::json::array())) {
        std::cout << hosts << " " << key.value("public_key", "") << "\n";
        ++lines;
      }
    }
  }
  return lines > 0 ? kExitOk : kExitFailed;
}

}  // namespace

void AddImageCommands(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* image = app.add_subcommand("image", "Base images");
  image->require_subcommand(1);
  CLI::App* inspect =
      image->add_subcommand("inspect", "What Worlds finds in an image and will do to its clones");
  auto file = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  inspect->add_option("file", *file, "the image (qcow2 or raw)")->required();
  inspect->add_option("--format", *format, "the image's format (default: probed)");
  inspect->add_flag("--json", *json, "machine-readable output");
  commands.emplace_back(inspect, [&globals, file, format, json] {
    return InspectImage(globals.context, *file, *format, *json);
  });

  CLI::App* known = app.add_subcommand(
      "known-hosts", "Print known_hosts lines for the VMs' SSH host keys, made at deploy time");
  auto lab_file = std::make_shared<std::string>();
  auto owner = std::make_shared<std::string>();
  known->add_option("lab", *lab_file, "labs/NAME.yaml")->required();
  known->add_option("--owner", *owner, "only this student's (or group's) World");
  commands.emplace_back(known, [&globals, lab_file, owner] {
    return KnownHosts(globals.context, *lab_file,
                      owner->empty() ? std::nullopt : std::optional<std::string>(*owner));
  });
}

}  // namespace cli

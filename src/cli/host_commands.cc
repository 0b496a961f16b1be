// `worlds host add|remove|list|drain|undrain`: the lab host inventory
// (hosts/inventory.h), and `worlds rebalance` over it (deploy/move.h).
// Without one, Worlds has the `connect` setting's host.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "cli/table.h"
#include "core/names.h"
#include "deploy/env.h"
#include "deploy/move.h"
#include "hosts/inventory.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace cli {
namespace {

struct AddRequest {
  store::HostRecord host;
  int64_t memory_mib = 0;  // 0: not given
  int64_t vcpus = 0;       // 0: not given
  bool no_check = false;
};

hosts::Actor ActorOf(const Globals& globals) {
  return {globals.context.uid, globals.context.actor};
}

std::unique_ptr<store::Store> OpenState(const Globals& globals) {
  std::filesystem::create_directories(globals.context.state_dir);
  return store::Store::Open(core::StateDbPath(globals.context.state_dir));
}

// Connections to the hosts' real libvirtd.
hosts::Connector LibvirtConnector() {
  return [](const std::string& uri) { return virt::NewLibvirtHypervisor(uri); };
}

std::string Limit(const std::optional<int64_t>& value, const std::string& unit) {
  return value ? std::to_string(*value) + unit : "-";
}

int AddHost(const Globals& globals, AddRequest request) {
  if (request.memory_mib != 0) request.host.memory_mib = request.memory_mib;
  if (request.vcpus != 0) request.host.vcpus = request.vcpus;
  hosts::Connector connect = LibvirtConnector();
  // Checked before the state database is opened: bad input changes nothing.
  hosts::CheckHost(request.host);
  std::unique_ptr<store::Store> store = OpenState(globals);
  hosts::Probe probe =
      hosts::AddHost(*store, request.host, request.no_check ? nullptr : &connect,
                     ActorOf(globals));
  std::cout << "Added lab host '" << request.host.name << "' (" << request.host.uri
            << "), overlays in " << request.host.storage_dir;
  if (probe.reachable) {
    std::cout << ": " << probe.info.memory_mib << " MiB RAM, " << probe.info.cpus << " CPUs";
  } else {
    std::cout << " (not checked: --no-check)";
  }
  std::cout << ".\n";
  return kExitOk;
}

int ListHosts(const Globals& globals) {
  std::unique_ptr<store::Store> store = OpenExistingState(globals);
  std::vector<store::HostRecord> inventory = store->Hosts();
  if (inventory.empty()) {
    std::cout << "No lab hosts in the inventory: every World is on " << globals.context.connect
              << " (the connect setting). `worlds host add NAME URI` adds one.\n";
    return kExitOk;
  }
  hosts::Connector connect = LibvirtConnector();
  Table table({"HOST", "URI", "STORAGE", "MEMORY", "VCPUS", "KEEP-FREE", "STATE", "WORLDS",
               "NOW"});
  for (const store::HostRecord& host : inventory) {
    hosts::Probe probe = hosts::ProbeHost(host.uri, connect);
    std::string now = probe.reachable ? std::to_string(probe.info.memory_mib) + " MiB RAM, " +
                                            std::to_string(probe.info.free_mib) + " free, " +
                                            std::to_string(probe.info.cpus) + " CPUs"
                                      : "unreachable: " + probe.error;
    table.AddRow({host.name, host.uri, host.storage_dir, Limit(host.memory_mib, " MiB"),
                  Limit(host.vcpus, ""), std::to_string(host.keep_free_mib) + " MiB",
                  host.draining ? "draining" : "active",
                  std::to_string(store->CountWorldsOn(host.name)), now});
  }
  table.Print(std::cout);
  if (int unplaced = store->CountWorldsOn("")) {
    std::cout << unplaced << " World(s) placed before the inventory are on "
              << globals.context.connect << " (the connect setting).\n";
  }
  return kExitOk;
}

}  // namespace

void AddHostCommands(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* host = app.add_subcommand("host", "Lab hosts: the libvirt hosts Worlds live on");
  host->require_subcommand(1);

  CLI::App* add = host->add_subcommand("add", "Add a lab host to the inventory");
  auto request = std::make_shared<AddRequest>();
  request->host.storage_dir = hosts::kDefaultStorageDir;
  add->add_option("name", request->host.name, "its name in status, menus and placement")
      ->required();
  add->add_option("uri", request->host.uri,
                  "its libvirt URI, e.g. qemu+ssh://root@lab2/system (qemu:///system: this "
                  "machine)")
      ->required();
  add->add_option("--storage-dir", request->host.storage_dir,
                  "where its overlays live, on that host")
      ->capture_default_str();
  add->add_option("--memory", request->memory_mib,
                  "MiB of guest memory it may give out (default: what libvirt reports)")
      ->check(CLI::PositiveNumber);
  add->add_option("--vcpus", request->vcpus, "vCPUs it may run (default: its CPUs)")
      ->check(CLI::PositiveNumber);
  add->add_option("--keep-free", request->host.keep_free_mib,
                  "MiB of disk to leave free in its storage dir")
      ->check(CLI::NonNegativeNumber);
  add->add_flag("--no-check", request->no_check,
                "record it without connecting to it first (it may be down now)");
  commands.emplace_back(add, [&globals, request] { return AddHost(globals, *request); });

  CLI::App* remove = host->add_subcommand("remove", "Remove a lab host that holds no World");
  auto remove_name = std::make_shared<std::string>();
  remove->add_option("name", *remove_name, "the host's name")->required();
  commands.emplace_back(remove, [&globals, remove_name] {
    std::unique_ptr<store::Store> store = OpenExistingState(globals);
    hosts::RemoveHost(*store, *remove_name, ActorOf(globals));
    std::cout << "Removed lab host '" << *remove_name << "' from the inventory.\n";
    return kExitOk;
  });

  CLI::App* list = host->add_subcommand("list", "The lab hosts, their limits and their Worlds");
  commands.emplace_back(list, [&globals] { return ListHosts(globals); });

  for (bool draining : {true, false}) {
    CLI::App* cmd = host->add_subcommand(
        draining ? "drain" : "undrain",
        draining ? "Place no new World on a lab host and move its Worlds to the others" : "Place new Worlds on a lab host again");
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name, "the host's name")->required();
    auto stay = std::make_shared<bool>(false);
    if (draining) {
      cmd->add_flag("--no-move", *stay,
                    "only place no new World there; the Worlds on it stay");
    }
    commands.emplace_back(cmd, [&globals, name, draining, stay] {
      {
        std::unique_ptr<store::Store> store = OpenExistingState(globals);
        hosts::SetDraining(*store, *name, draining, ActorOf(globals));
      }
      std::cout << "Lab host '" << *name << "' "
                << (draining ? "is draining: no new World goes there."
                             : "takes new Worlds again.")
                << "\n" << std::flush;
      if (!draining || *stay) return kExitOk;
      // Its Worlds move to the other hosts (deploy/move.h).
      bool all = deploy::DrainHost(globals.context, deploy::RealEnv(globals.context), *name,
                                   std::cout);
      return all ? kExitOk : kExitFailed;
    });
  }

  CLI::App* rebalance = app.add_subcommand(
      "rebalance",
      "Even out the lab hosts' memory use: move Worlds (running VMs live) to hosts with more "
      "headroom");
  auto dry_run = std::make_shared<bool>(false);
  rebalance->add_flag("--dry-run", *dry_run, "say which Worlds would move where; move nothing");
  commands.emplace_back(rebalance, [&globals, dry_run] {
    bool all = deploy::Rebalance(globals.context, deploy::RealEnv(globals.context), *dry_run,
                                 std::cout);
    return all ? kExitOk : kExitFailed;
  });
}

}  // namespace cli

// `worlds hook network NETWORK OPERATION SUBOPERATION [EXTRA]`: what libvirt
// runs through /etc/libvirt/hooks/network.d/worlds (data/libvirt/) whenever
// it starts, stops or updates a network, with the network's XML on stdin
// (virt/network_hook.h). A World's network gets its bridge guarded as soon
// as libvirt has made it, autostart at boot included.
//
// libvirtd waits for the hook: it must never call back into libvirt (that
// would deadlock), so the bridge comes from stdin, not from a connection.
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "virt/bridge_guard.h"
#include "virt/network_hook.h"
#include "virt/partition.h"

namespace cli {
namespace {

struct NetworkHookArgs {
  std::string network;
  std::string operation;
  std::string suboperation;
  std::string extra;
};

// Failing is deliberate: a non-zero exit makes libvirt refuse to start the
// network (and undo what it set up). A World's bridge left unguarded lets
// its guests reach the host's services (bridge_guard.h), so an admin is
// better served by a network that does not start, with this message in
// libvirt's error, than by one that starts open.
int RunNetworkHook(const NetworkHookArgs& args, std::istream& in) {
  if (!virt::HookGuardsBridge(args.network, args.operation)) return kExitOk;
  std::string xml{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  try {
    virt::GuardBridge(virt::BridgeOfNetworkXml(xml));
  } catch (const core::Error& e) {
    throw core::Error("cannot guard the bridge of World network '" + args.network +
                          "', so libvirt will not start it: " + e.message(),
                      e.where(), e.fix());
  }
  return kExitOk;
}

struct QemuHookArgs {
  std::string domain;
  std::string operation;
  std::string suboperation;
  std::string extra;
};

// A failure makes libvirt refuse the start, with this message in its error:
// the domain could not run where its World's CPU share is kept anyway.
int RunQemuHook(const QemuHookArgs& args, std::istream& in) {
  if (!virt::HookPreparesPartition(args.domain, args.operation, args.suboperation)) {
    return kExitOk;
  }
  std::string xml{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  virt::PartitionSpec partition = virt::PartitionOfDomainXml(xml);
  if (partition.path.empty() || partition.path == "/machine") return kExitOk;
  try {
    virt::EnsurePartition(partition);
  } catch (const core::Error& e) {
    throw core::Error("cannot make the partition " + partition.path + " of '" + args.domain +
                          "', so libvirt will not start it: " + e.message(),
                      e.where(), e.fix());
  }
  return kExitOk;
}

}  // namespace

void AddHookCommands(CLI::App& app, Globals& /*globals*/, Commands& commands) {
  CLI::App* hook = app.add_subcommand("hook", "What libvirt's hooks run (not for people)");
  // Not in `worlds --help`: libvirt runs it (/etc/libvirt/hooks/network.d/
  // worlds), and worlds(1) tells admins so under FILES.
  hook->group("");
  hook->require_subcommand(1);
  CLI::App* network =
      hook->add_subcommand("network",
                           "libvirt started, stopped or updated a network (its XML on stdin): "
                           "guard a World's bridge");
  auto args = std::make_shared<NetworkHookArgs>();
  network->add_option("network", args->network, "the network's name")->required();
  network->add_option("operation", args->operation, "start, started, stopped, ...")->required();
  network->add_option("suboperation", args->suboperation, "begin, end, ...")->required();
  network->add_option("extra", args->extra, "'-' (libvirt's extra argument)");
  commands.emplace_back(network, [args] { return RunNetworkHook(*args, std::cin); });

  // /etc/libvirt/hooks/qemu.d/worlds: the partition (virt/partition.h) is
  // made before every start of a World's domain, whoever starts it.
  CLI::App* qemu = hook->add_subcommand(
      "qemu", "libvirt is about to start a domain (its XML on stdin): make its World's partition");
  auto qemu_args = std::make_shared<QemuHookArgs>();
  qemu->add_option("domain", qemu_args->domain, "the domain's name")->required();
  qemu->add_option("operation", qemu_args->operation, "prepare, start, ...")->required();
  qemu->add_option("suboperation", qemu_args->suboperation, "begin, end, ...")->required();
  qemu->add_option("extra", qemu_args->extra, "'-' (libvirt's extra argument)");
  commands.emplace_back(qemu, [qemu_args] { return RunQemuHook(*qemu_args, std::cin); });
}

}  // namespace cli

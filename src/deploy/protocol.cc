#include "deploy/protocol.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/version.h"

namespace guest {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NicConfig, interface, address, prefix, mac, network,
                                   gateway, dns)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(HostEntry, address, names)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(HostKey, type, private_key, public_key, fingerprint)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Identity, machine_id, host_keys)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Mount, mountpoint, device)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    OsInfo, type, distro, product_name, major, minor, package_format, mounts, lvm, init, udev,
    network_stacks, network_stack, cloud_init, serial_console, boot_config, rc_local,
    first_boot_runner, sshd, ssh_host_keys, dbus_machine_id, selinux, files, dhcp_configs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GuestEdit, disk_path, disk_format, hostname,
                                   nics, hosts, commands, os, identity)
}  // namespace guest

namespace virt {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetworkSpec, name, bridge)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InterfaceSpec, network, mac)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DomainSpec, name, accel, memory_mib, vcpus,
                                   disk_path, disk_format, interfaces, kernel,
                                   initrd, cmdline, console_log, title,
                                   partition, cpu_limit_percent)
}  // namespace virt

namespace core {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(World, lab, owner, index)
}  // namespace core

namespace deploy {

NLOHMANN_JSON_SERIALIZE_ENUM(VmAction, {{VmAction::kNothing, "nothing"},
                                        {VmAction::kAdopt, "adopt"},
                                        {VmAction::kBuild, "build"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VmPlan, vm, domain, overlay, base, base_format,
                                   action, remove_stale_domain, edit, spec)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(WorldPlan, world, networks, vms)
// A batch without `failpoint` (every batch outside the fault tests) reads
// as none.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkerConfig, connect, guestfs_backend,
                                                guestfs_settings, failpoint)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Batch, version, config, worlds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Message, kind, domain, phase, message,
                                   seconds, count)

std::string EncodeOsInfo(const guest::OsInfo& os) { return nlohmann::json(os).dump(); }

guest::OsInfo DecodeOsInfo(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<guest::OsInfo>();
  } catch (const nlohmann::json::exception& e) {
    throw core::Error(std::string("malformed inspection record: ") + e.what());
  }
}

std::string EncodeBatch(const Batch& batch) { return nlohmann::json(batch).dump(); }

Batch DecodeBatch(const std::string& text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw core::Error(std::string("malformed worker batch: ") + e.what());
  }
  // The version first: a batch of another version may not parse as ours.
  const nlohmann::json* version = json.is_object() && json.contains("version")
                                      ? &json.at("version")
                                      : nullptr;
  if (!version || !version->is_number_integer() ||
      version->get<int>() != kWorkerProtocolVersion) {
    std::string theirs = version ? version->dump() : "none (a worlds from before versions)";
    throw core::Error("the deploying worlds speaks worker protocol version " + theirs +
                          ", this worker (worlds " + core::Version() + ") version " +
                          std::to_string(kWorkerProtocolVersion),
                      "worker", "install the same worlds version on every lab host");
  }
  try {
    return json.get<Batch>();
  } catch (const nlohmann::json::exception& e) {
    throw core::Error(std::string("malformed worker batch: ") + e.what());
  }
}

std::string EncodeMessage(const Message& message) {
  return nlohmann::json(message).dump();
}

Message DecodeMessage(const std::string& line) {
  try {
    return nlohmann::json::parse(line).get<Message>();
  } catch (const nlohmann::json::exception& e) {
    throw core::Error(std::string("malformed worker message: ") + e.what(),
                      "", "the worker printed: " + line.substr(0, 200));
  }
}

}  // namespace deploy

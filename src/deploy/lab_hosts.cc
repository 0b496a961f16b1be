#include "deploy/lab_hosts.h"

#include "core/error.h"
#include "core/names.h"
#include "hosts/inventory.h"

namespace deploy {

LabHosts::LabHosts(const Context& context, const Env& env,
                   std::vector<store::HostRecord> inventory)
    : connect_(context.connect),
      state_dir_(context.state_dir),
      env_(env),
      inventory_(std::move(inventory)) {}

const store::HostRecord& LabHosts::Find(const std::string& host) const {
  for (const store::HostRecord& record : inventory_) {
    if (record.name == host) return record;
  }
  throw core::Error("lab host '" + host + "' is not in the inventory", host,
                    "`worlds host add` it again under the same name");
}

HostHypervisorFactory LabHosts::Connector() const {
  return [this](const std::string& host) { return Connect(host); };
}

std::unique_ptr<virt::Hypervisor> LabHosts::Connect(const std::string& host) const {
  if (host.empty()) return env_.hypervisor();
  const store::HostRecord& record = Find(host);
  if (!env_.connect_host) throw core::Error("no connection to lab hosts here", record.uri);
  try {
    return env_.connect_host(record.uri);
  } catch (const core::Error& e) {
    // libvirt's words, without the fix meant for the connect host.
    throw core::Error("lab host '" + host + "' cannot be reached: " + e.message(), "",
                      "check that it is up and that `virsh -c " + record.uri +
                          " list` works from here");
  }
}

Disks& LabHosts::DisksOf(const std::string& host) {
  if (host.empty()) return *env_.disks;
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Disks>& disks = disks_[host];
  if (!disks) {
    const store::HostRecord& record = Find(host);
    if (!env_.reach_host) throw core::Error("no connection to lab hosts here", record.uri);
    disks = env_.reach_host(record.uri, state_dir_ + "/logs/hosts").disks;
  }
  return *disks;
}

std::string LabHosts::Uri(const std::string& host) const {
  return host.empty() ? connect_ : Find(host).uri;
}

std::string LabHosts::StorageDir(const std::string& host) const {
  return host.empty() ? state_dir_ : Find(host).storage_dir;
}

bool LabHosts::IsLocal(const std::string& host) const {
  return host.empty() ? hosts::IsLocalUri(connect_) : hosts::IsLocalUri(Find(host).uri);
}

std::string LabHosts::Describe(const std::string& host) const {
  return host.empty() ? "the connect host (" + connect_ + ")" : "lab host '" + host + "'";
}

}  // namespace deploy

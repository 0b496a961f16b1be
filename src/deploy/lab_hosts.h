// The lab hosts Worlds live on, as every command after a deploy reaches
// them (issue 14): a World's host name (store::WorldRecord::host) to that
// host's libvirt, disks and storage dir. "" is the `connect` setting's host
// (env.hypervisor, env.disks, the state dir), where every World lives when
// there is no inventory, so commands work as before it existed.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "deploy/env.h"
#include "deploy/operations.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

// A new connection to the libvirt of a World's host, by its name. Throws
// core::Error naming the host when it is not in the inventory or cannot be
// reached.
using HostHypervisorFactory =
    std::function<std::unique_ptr<virt::Hypervisor>(const std::string& host)>;

class LabHosts {
 public:
  // `inventory`: store::Store::Hosts(). Opens nothing until asked.
  LabHosts(const Context& context, const Env& env, std::vector<store::HostRecord> inventory);

  HostHypervisorFactory Connector() const;
  std::unique_ptr<virt::Hypervisor> Connect(const std::string& host) const;
  // The disks of `host`, one connection kept per host. Thread-safe. Throws
  // core::Error like Connect.
  Disks& DisksOf(const std::string& host);
  // The libvirt URI of `host` ("": the connect setting's). Two names may
  // share one (an inventory host that is the connect host).
  std::string Uri(const std::string& host) const;
  // Where `host` keeps overlays and console logs.
  std::string StorageDir(const std::string& host) const;
  // Whether `host`'s files are this machine's (its URI has no host part).
  bool IsLocal(const std::string& host) const;
  // "lab host 'h2'", or "the connect host (qemu:///system)" for "".
  std::string Describe(const std::string& host) const;

 private:
  const store::HostRecord& Find(const std::string& host) const;

  std::string connect_;
  std::string state_dir_;
  const Env& env_;
  std::vector<store::HostRecord> inventory_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Disks>> disks_;
};

}  // namespace deploy

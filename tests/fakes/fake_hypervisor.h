// An in-memory virt::Hypervisor for unit tests. It keeps the real adapter's
// semantics and error texts (virt/errors.h), records every call, and can be
// told to fail any call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "virt/hypervisor.h"

namespace fakes {

class FakeHypervisor : public virt::Hypervisor {
 public:
  struct Network {
    virt::NetworkSpec spec;
    bool active = false;
    bool autostart = false;
  };
  struct Domain {
    virt::DomainSpec spec;
    virt::DomainState state = virt::DomainState::kShutOff;
    std::vector<std::string> snapshots;  // in creation order
  };

  // Every call, in order, as "<Method> <args separated by spaces>", e.g.
  // "DefineDomain w-netlab-alice-router" or "CreateSnapshot w-x clean";
  // list calls record their prefix ("ListDomains w-netlab-").
  std::vector<std::string> calls;
  // The world as the fake sees it; tests may read and arrange it directly.
  std::map<std::string, Network> networks;
  std::map<std::string, Domain> domains;

  // Makes every later call whose record starts with `call_prefix` throw
  // core::Error(message) (after being recorded, before any effect).
  void FailOn(const std::string& call_prefix, std::string message);
  void ClearFailures() { failures_.clear(); }

  bool NetworkExists(const std::string& name) override;
  // Like the real one, refuses a new spec that does not render to XML.
  void EnsureNetwork(const virt::NetworkSpec& spec) override;
  void RemoveNetwork(const std::string& name) override;
  std::vector<std::string> ListNetworks(const std::string& prefix) override;

  bool DomainExists(const std::string& name) override;
  void DefineDomain(const virt::DomainSpec& spec) override;
  void RemoveDomain(const std::string& name) override;
  std::vector<std::string> ListDomains(const std::string& prefix) override;
  virt::DomainState State(const std::string& name) override;

  // Fails like libvirt when a NIC's network is missing or inactive.
  void Start(const std::string& name) override;
  // The fake guest obeys ACPI at once: the domain is shut off on return.
  void Shutdown(const std::string& name) override;
  void PowerOff(const std::string& name) override;

  bool HasSnapshot(const std::string& domain, const std::string& snap) override;
  void CreateSnapshot(const std::string& domain, const std::string& snap) override;
  void AdoptSnapshot(const std::string& domain, const std::string& snap) override;
  // Snapshots are always of a shut-off domain, so a revert leaves it shut off.
  void RevertToSnapshot(const std::string& domain, const std::string& snap) override;
  std::vector<std::string> ListSnapshots(const std::string& domain) override;

 private:
  void Record(std::string call);
  Domain& Require(const std::string& name);

  std::vector<std::pair<std::string, std::string>> failures_;
};

}  // namespace fakes

#include "fakes/fake_hypervisor.h"

#include <algorithm>

#include "core/error.h"
#include "virt/errors.h"

namespace fakes {

using virt::DomainState;

void FakeHypervisor::FailOn(const std::string& call_prefix, std::string message) {
  failures_.emplace_back(call_prefix, std::move(message));
}

void FakeHypervisor::Record(std::string call) {
  calls.push_back(call);
  for (const auto& [prefix, message] : failures_) {
    if (call.compare(0, prefix.size(), prefix) == 0) throw core::Error(message);
  }
}

FakeHypervisor::Domain& FakeHypervisor::Require(const std::string& name) {
  auto it = domains.find(name);
  if (it == domains.end()) throw virt::NoSuchDomain(name);
  return it->second;
}

bool FakeHypervisor::NetworkExists(const std::string& name) {
  Record("NetworkExists " + name);
  return networks.count(name) > 0;
}

void FakeHypervisor::EnsureNetwork(const virt::NetworkSpec& spec) {
  Record("EnsureNetwork " + spec.name);
  auto it = networks.find(spec.name);
  if (it == networks.end()) {
    (void)virt::RenderNetworkXml(spec);  // throws where libvirt would refuse
    it = networks.emplace(spec.name, Network{spec, false, true}).first;
  }
  it->second.active = true;
}

void FakeHypervisor::RemoveNetwork(const std::string& name) {
  Record("RemoveNetwork " + name);
  networks.erase(name);
}

std::vector<std::string> FakeHypervisor::ListNetworks(const std::string& prefix) {
  Record("ListNetworks " + prefix);
  std::vector<std::string> names;
  for (const auto& [name, net] : networks) {
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  return names;  // a std::map iterates sorted, like the real adapter returns
}

bool FakeHypervisor::DomainExists(const std::string& name) {
  Record("DomainExists " + name);
  return domains.count(name) > 0;
}

void FakeHypervisor::DefineDomain(const virt::DomainSpec& spec) {
  Record("DefineDomain " + spec.name);
  if (domains.count(spec.name)) throw virt::DomainAlreadyExists(spec.name);
  (void)virt::RenderDomainXml(spec);
  domains.emplace(spec.name, Domain{spec, DomainState::kShutOff, {}});
}

void FakeHypervisor::RemoveDomain(const std::string& name) {
  Record("RemoveDomain " + name);
  domains.erase(name);
}

std::vector<std::string> FakeHypervisor::ListDomains(const std::string& prefix) {
  Record("ListDomains " + prefix);
  std::vector<std::string> names;
  for (const auto& [name, dom] : domains) {
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  return names;
}

DomainState FakeHypervisor::State(const std::string& name) {
  Record("State " + name);
  return Require(name).state;
}

void FakeHypervisor::Start(const std::string& name) {
  Record("Start " + name);
  Domain& dom = Require(name);
  if (dom.state != DomainState::kShutOff) throw virt::AlreadyRunning(name);
  // libvirt's own words, as the real adapter passes them on.
  for (const virt::InterfaceSpec& nic : dom.spec.interfaces) {
    auto net = networks.find(nic.network);
    if (net == networks.end()) {
      throw core::Error(
          "cannot start domain: Network not found: no network with matching "
          "name '" + nic.network + "'",
          name);
    }
    if (!net->second.active) {
      throw core::Error("cannot start domain: Requested operation is not "
                        "valid: network '" + nic.network + "' is not active",
                        name);
    }
  }
  dom.state = DomainState::kRunning;
}

void FakeHypervisor::Shutdown(const std::string& name) {
  Record("Shutdown " + name);
  Domain& dom = Require(name);
  if (dom.state == DomainState::kShutOff) throw virt::NotRunning(name);
  dom.state = DomainState::kShutOff;
}

void FakeHypervisor::PowerOff(const std::string& name) {
  Record("PowerOff " + name);
  Domain& dom = Require(name);
  if (dom.state == DomainState::kShutOff) throw virt::NotRunning(name);
  dom.state = DomainState::kShutOff;
}

bool FakeHypervisor::HasSnapshot(const std::string& domain, const std::string& snap) {
  Record("HasSnapshot " + domain + " " + snap);
  const auto& snaps = Require(domain).snapshots;
  return std::find(snaps.begin(), snaps.end(), snap) != snaps.end();
}

void FakeHypervisor::CreateSnapshot(const std::string& domain,
                                    const std::string& snap) {
  Record("CreateSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  if (dom.state != DomainState::kShutOff) throw virt::SnapshotNeedsShutOff(domain, snap);
  auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) != snaps.end()) {
    throw virt::SnapshotAlreadyExists(domain, snap);
  }
  (void)virt::RenderSnapshotXml(snap, "");
  snaps.push_back(snap);
}

void FakeHypervisor::AdoptSnapshot(const std::string& domain,
                                   const std::string& snap) {
  Record("AdoptSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  if (dom.state != DomainState::kShutOff) throw virt::SnapshotNeedsShutOff(domain, snap);
  auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) == snaps.end()) snaps.push_back(snap);
}

void FakeHypervisor::RevertToSnapshot(const std::string& domain,
                                      const std::string& snap) {
  Record("RevertToSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  const auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) == snaps.end()) {
    throw virt::NoSuchSnapshot(domain, snap);
  }
  dom.state = DomainState::kShutOff;
}

std::vector<std::string> FakeHypervisor::ListSnapshots(const std::string& domain) {
  Record("ListSnapshots " + domain);
  std::vector<std::string> names = Require(domain).snapshots;
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace fakes

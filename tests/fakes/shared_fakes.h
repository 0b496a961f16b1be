// Handles onto one fake shared by every connection a flow opens (a
// deploy::HypervisorFactory or CustomizerFactory makes a new object per
// use): each call is forwarded to the shared fake under one lock, as
// libvirtd serializes calls on one domain.
#pragma once

#include <memory>
#include <mutex>

#include "fakes/fake_customizer.h"
#include "fakes/fake_hypervisor.h"

namespace fakes {

class SharedHypervisor : public virt::Hypervisor {
 public:
  SharedHypervisor(FakeHypervisor& fake, std::mutex& mu) : fake_(fake), mu_(mu) {}

  template <typename Fn>
  auto Locked(Fn&& fn) {
    std::lock_guard<std::mutex> hold(mu_);
    return fn();
  }

  bool NetworkExists(const std::string& n) override { return Locked([&] { return fake_.NetworkExists(n); }); }
  void EnsureNetwork(const virt::NetworkSpec& s) override { Locked([&] { fake_.EnsureNetwork(s); }); }
  void RemoveNetwork(const std::string& n) override { Locked([&] { fake_.RemoveNetwork(n); }); }
  std::vector<std::string> ListNetworks(const std::string& p) override { return Locked([&] { return fake_.ListNetworks(p); }); }
  int GuardNetworks(const std::string& p) override { return Locked([&] { return fake_.GuardNetworks(p); }); }
  bool DomainExists(const std::string& n) override { return Locked([&] { return fake_.DomainExists(n); }); }
  void DefineDomain(const virt::DomainSpec& s) override { Locked([&] { fake_.DefineDomain(s); }); }
  void RemoveDomain(const std::string& n) override { Locked([&] { fake_.RemoveDomain(n); }); }
  std::vector<std::string> ListDomains(const std::string& p) override { return Locked([&] { return fake_.ListDomains(p); }); }
  virt::DomainState State(const std::string& n) override { return Locked([&] { return fake_.State(n); }); }
  virt::DomainSize Size(const std::string& n) override { return Locked([&] { return fake_.Size(n); }); }
  std::vector<virt::DomainUsage> Usage(const std::string& p) override {
    return Locked([&] { return fake_.Usage(p); });
  }
  virt::HostInfo Host() override { return Locked([&] { return fake_.Host(); }); }
  void RemovePartition(const std::string& p) override { Locked([&] { fake_.RemovePartition(p); }); }
  void Start(const std::string& n) override { Locked([&] { fake_.Start(n); }); }
  void Shutdown(const std::string& n) override { Locked([&] { fake_.Shutdown(n); }); }
  void PowerOff(const std::string& n) override { Locked([&] { fake_.PowerOff(n); }); }
  bool HasSnapshot(const std::string& d, const std::string& s) override { return Locked([&] { return fake_.HasSnapshot(d, s); }); }
  void CreateSnapshot(const std::string& d, const std::string& s) override { Locked([&] { fake_.CreateSnapshot(d, s); }); }
  void AdoptSnapshot(const std::string& d, const std::string& s) override { Locked([&] { fake_.AdoptSnapshot(d, s); }); }
  void RevertToSnapshot(const std::string& d, const std::string& s) override { Locked([&] { fake_.RevertToSnapshot(d, s); }); }
  std::vector<std::string> ListSnapshots(const std::string& d) override { return Locked([&] { return fake_.ListSnapshots(d); }); }
  // Into another handle's fake when `to` is one.
  std::string MigrateLive(const std::string& d, virt::Hypervisor& to, const virt::Relocation& w) override {
    auto* shared = dynamic_cast<SharedHypervisor*>(&to);
    virt::Hypervisor& target = shared ? static_cast<virt::Hypervisor&>(shared->fake_) : to;
    return Locked([&] { return fake_.MigrateLive(d, target, w); });
  }
  std::unique_ptr<virt::ConsoleStream> OpenConsole(const std::string& d, bool f) override { return fake_.OpenConsole(d, f); }

 private:
  FakeHypervisor& fake_;
  std::mutex& mu_;
};

class SharedCustomizer : public guest::Customizer {
 public:
  SharedCustomizer(FakeCustomizer& fake, std::mutex& mu) : fake_(fake), mu_(mu) {}
  std::vector<guest::EditResult> Apply(const std::vector<guest::GuestEdit>& edits) override {
    std::lock_guard<std::mutex> hold(mu_);
    return fake_.Apply(edits);
  }
  int launches() const override {
    std::lock_guard<std::mutex> hold(mu_);
    return fake_.launches();
  }

 private:
  FakeCustomizer& fake_;
  std::mutex& mu_;
};

}  // namespace fakes

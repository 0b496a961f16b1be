#include "fakes/fake_hypervisor.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "virt/errors.h"

namespace fakes {

using virt::DomainState;

void FakeHypervisor::FailOn(const std::string& call_prefix, std::string message) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
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
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("NetworkExists " + name);
  return networks.count(name) > 0;
}

void FakeHypervisor::EnsureNetwork(const virt::NetworkSpec& spec) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("EnsureNetwork " + spec.name);
  auto it = networks.find(spec.name);
  if (it == networks.end()) {
    (void)virt::RenderNetworkXml(spec);  // throws where libvirt would refuse
    it = networks.emplace(spec.name, Network{spec, false, true}).first;
  }
  it->second.active = true;
}

void FakeHypervisor::RemoveNetwork(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("RemoveNetwork " + name);
  networks.erase(name);
}

std::vector<std::string> FakeHypervisor::ListNetworks(const std::string& prefix) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("ListNetworks " + prefix);
  std::vector<std::string> names;
  for (const auto& [name, net] : networks) {
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  return names;  // a std::map iterates sorted, like the real adapter returns
}

int FakeHypervisor::GuardNetworks(const std::string& prefix) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("GuardNetworks " + prefix);
  int n = 0;
  for (const auto& [name, net] : networks) n += net.active && name.rfind(prefix, 0) == 0;
  return n;
}

bool FakeHypervisor::DomainExists(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("DomainExists " + name);
  return domains.count(name) > 0;
}

void FakeHypervisor::DefineDomain(const virt::DomainSpec& spec) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("DefineDomain " + spec.name);
  if (domains.count(spec.name)) throw virt::DomainAlreadyExists(spec.name);
  (void)virt::RenderDomainXml(spec);
  domains.emplace(spec.name, Domain{spec, DomainState::kShutOff, {}});
}

void FakeHypervisor::RemoveDomain(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("RemoveDomain " + name);
  domains.erase(name);
}

void FakeHypervisor::RemovePartition(const std::string& partition) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("RemovePartition " + partition);
  for (const auto& [name, dom] : domains) {
    if (dom.spec.partition == partition && dom.state != virt::DomainState::kShutOff) {
      throw core::Error("cannot remove the cgroup: Device or resource busy", partition,
                        "stop the World's VMs first");
    }
  }
}

std::vector<std::string> FakeHypervisor::ListDomains(const std::string& prefix) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("ListDomains " + prefix);
  std::vector<std::string> names;
  for (const auto& [name, dom] : domains) {
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  return names;
}

virt::DomainSize FakeHypervisor::Size(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("Size " + name);
  const Domain& dom = Require(name);
  return {dom.spec.memory_mib, dom.spec.vcpus, dom.spec.partition, dom.spec.cpu_limit_percent};
}

std::vector<virt::DomainUsage> FakeHypervisor::Usage(const std::string& prefix) {
  std::vector<virt::DomainUsage> usage;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Record("Usage " + prefix);
    for (const auto& [name, dom] : domains) {  // a std::map: in name order
      if (name.compare(0, prefix.size(), prefix) != 0) continue;
      bool active = dom.state != DomainState::kShutOff;
      usage.push_back({name, dom.state, dom.spec.memory_mib, dom.spec.vcpus,
                       active ? dom.cpu_time_ns : 0});
    }
  }
  if (after_usage) after_usage();  // unlocked, as a slow libvirt reply would be
  return usage;
}

virt::HostInfo FakeHypervisor::Host() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("Host");
  virt::HostInfo info = host;
  info.free_mib = host.memory_mib;
  for (const auto& [name, dom] : domains) {
    if (dom.state != DomainState::kShutOff) info.free_mib -= dom.spec.memory_mib;
  }
  if (info.free_mib < 0) info.free_mib = 0;
  return info;
}

DomainState FakeHypervisor::State(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("State " + name);
  return Require(name).state;
}

void FakeHypervisor::Start(const std::string& name) {
  if (before_start) before_start(name);  // unlocked, like a slow virDomainCreate
  std::lock_guard<std::recursive_mutex> lock(mu_);
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

std::string FakeHypervisor::MigrateLive(const std::string& name, virt::Hypervisor& to,
                                        const virt::Relocation& where) {
  auto* target = dynamic_cast<FakeHypervisor*>(&to);
  if (!target) throw core::Error("a domain migrates only between two fakes", name);
  std::scoped_lock lock(mu_, target->mu_);
  Record("MigrateLive " + name);
  target->Record("MigrateLive " + name + " in");
  Domain& dom = Require(name);
  if (dom.state == DomainState::kShutOff) {
    throw core::Error("cannot migrate the domain: Requested operation is not valid: domain is "
                      "not running",
                      name);
  }
  if (target->domains.count(name)) {
    throw core::Error("cannot migrate the domain: operation failed: domain '" + name +
                          "' already exists",
                      name);
  }
  Domain moved = dom;
  auto relocate = [&](std::string& path) {
    auto found = where.paths.find(path);
    if (found != where.paths.end()) path = found->second;
  };
  relocate(moved.spec.disk_path);
  relocate(moved.spec.console_log);
  if (!moved.spec.disk_path.empty() && !std::filesystem::exists(moved.spec.disk_path)) {
    throw core::Error("cannot migrate the domain: Cannot access storage file '" +
                          moved.spec.disk_path + "': No such file or directory",
                      name);
  }
  for (const virt::InterfaceSpec& nic : moved.spec.interfaces) {
    auto net = target->networks.find(nic.network);
    if (net == target->networks.end() || !net->second.active) {
      throw core::Error("cannot migrate the domain: Network not found: no network with "
                        "matching name '" + nic.network + "'",
                        name);
    }
  }
  target->domains[name] = moved;
  domains.erase(name);
  return after_migration;
}

void FakeHypervisor::Shutdown(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("Shutdown " + name);
  Domain& dom = Require(name);
  if (dom.state == DomainState::kShutOff) throw virt::NotRunning(name);
  dom.state = DomainState::kShutOff;
}

void FakeHypervisor::PowerOff(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("PowerOff " + name);
  Domain& dom = Require(name);
  if (dom.state == DomainState::kShutOff) throw virt::NotRunning(name);
  dom.state = DomainState::kShutOff;
}

bool FakeHypervisor::HasSnapshot(const std::string& domain, const std::string& snap) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("HasSnapshot " + domain + " " + snap);
  const auto& snaps = Require(domain).snapshots;
  return std::find(snaps.begin(), snaps.end(), snap) != snaps.end();
}

void FakeHypervisor::CreateSnapshot(const std::string& domain,
                                    const std::string& snap) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("CreateSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  if (dom.state != DomainState::kShutOff) throw virt::SnapshotNeedsShutOff(domain, snap);
  auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) != snaps.end()) {
    throw virt::SnapshotAlreadyExists(domain, snap);
  }
  (void)virt::RenderSnapshotXml(snap, "");
  snaps.push_back(snap);
  if (snapshot_written) snapshot_written(dom.spec.disk_path, snap);
}

void FakeHypervisor::AdoptSnapshot(const std::string& domain,
                                   const std::string& snap) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("AdoptSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  if (dom.state != DomainState::kShutOff) throw virt::SnapshotNeedsShutOff(domain, snap);
  auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) == snaps.end()) snaps.push_back(snap);
}

void FakeHypervisor::RevertToSnapshot(const std::string& domain,
                                      const std::string& snap) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("RevertToSnapshot " + domain + " " + snap);
  Domain& dom = Require(domain);
  const auto& snaps = dom.snapshots;
  if (std::find(snaps.begin(), snaps.end(), snap) == snaps.end()) {
    throw virt::NoSuchSnapshot(domain, snap);
  }
  dom.state = DomainState::kShutOff;
}

std::vector<std::string> FakeHypervisor::ListSnapshots(const std::string& domain) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("ListSnapshots " + domain);
  std::vector<std::string> names = Require(domain).snapshots;
  std::sort(names.begin(), names.end());
  return names;
}

// One open session on a FakeConsole. Close (or a forced takeover, which
// bumps the console's generation) makes Read return 0.
class FakeConsoleStream : public virt::ConsoleStream {
 public:
  FakeConsoleStream(std::shared_ptr<FakeConsole> console, uint64_t generation,
                    std::string domain)
      : console_(std::move(console)), generation_(generation), domain_(std::move(domain)) {}
  ~FakeConsoleStream() override { Close(); }

  size_t Read(char* buffer, size_t size) override {
    FakeConsole& c = *console_;
    std::unique_lock<std::mutex> lock(c.mu_);
    c.cv_.wait(lock, [&] { return Ended() || !c.output_.empty() || c.hangup_; });
    if (Ended() || c.output_.empty()) return 0;
    size_t n = std::min(size, c.output_.size());
    std::copy(c.output_.begin(), c.output_.begin() + n, buffer);
    c.output_.erase(c.output_.begin(), c.output_.begin() + n);
    return n;
  }

  void Write(const char* data, size_t size) override {
    FakeConsole& c = *console_;
    std::lock_guard<std::mutex> lock(c.mu_);
    if (Ended() || c.hangup_) throw core::Error("the console is closed", domain_);
    c.written_.append(data, size);
    if (c.echo_) c.output_.insert(c.output_.end(), data, data + size);
    c.cv_.notify_all();
  }

  void Close() override {
    FakeConsole& c = *console_;
    std::lock_guard<std::mutex> lock(c.mu_);
    if (closed_) return;
    closed_ = true;
    if (c.generation_ == generation_) c.in_use_ = false;
    c.cv_.notify_all();
  }

 private:
  bool Ended() const { return closed_ || console_->generation_ != generation_; }

  std::shared_ptr<FakeConsole> console_;
  uint64_t generation_;
  std::string domain_;
  bool closed_ = false;  // guarded by console_->mu_
};

void FakeConsole::Emit(const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  output_.insert(output_.end(), bytes.begin(), bytes.end());
  cv_.notify_all();
}

void FakeConsole::Hangup() {
  std::lock_guard<std::mutex> lock(mu_);
  hangup_ = true;
  cv_.notify_all();
}

void FakeConsole::SetEcho(bool echo) {
  std::lock_guard<std::mutex> lock(mu_);
  echo_ = echo;
}

std::string FakeConsole::Written() {
  std::lock_guard<std::mutex> lock(mu_);
  return written_;
}

bool FakeConsole::WaitWritten(const std::string& needle, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return written_.find(needle) != std::string::npos; });
}

bool FakeConsole::InUse() {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

int FakeConsole::opened() {
  std::lock_guard<std::mutex> lock(mu_);
  return opened_;
}

bool FakeConsole::WaitIdle(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !in_use_; });
}

std::shared_ptr<FakeConsole> FakeHypervisor::Console(const std::string& domain) {
  std::lock_guard<std::mutex> lock(consoles_mu_);
  auto& console = consoles_[domain];
  if (!console) console = std::make_shared<FakeConsole>();
  return console;
}

std::unique_ptr<virt::ConsoleStream> FakeHypervisor::OpenConsole(
    const std::string& domain, bool force) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Record("OpenConsole " + domain);
  Domain& dom = Require(domain);
  if (dom.state != DomainState::kRunning) throw virt::NotRunning(domain);
  std::shared_ptr<FakeConsole> console = Console(domain);
  std::lock_guard<std::mutex> console_lock(console->mu_);
  if (console->in_use_ && !force) {
    // libvirt's words, as the real adapter passes them on.
    throw core::Error("cannot open the console: operation failed: Active "
                      "console session exists for this domain",
                      domain);
  }
  console->in_use_ = true;
  ++console->opened_;
  console->cv_.notify_all();  // a forced takeover ends the older stream
  return std::make_unique<FakeConsoleStream>(console, ++console->generation_, domain);
}

}  // namespace fakes

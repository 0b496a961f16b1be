// An in-memory virt::Hypervisor for unit tests. It keeps the real adapter's
// semantics and error texts (virt/errors.h), records every call, and can be
// told to fail any call.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "virt/hypervisor.h"

namespace fakes {

// The guest's end of a fake serial console. Tests drive it from any thread:
// Emit() is what the guest prints (a ConsoleStream's Read returns it),
// Written() is what was typed into the stream. Thread-safe.
class FakeConsole {
 public:
  void Emit(const std::string& bytes);
  // The guest side hangs up: Reads return 0 once the pending bytes are read.
  void Hangup();
  // When set, every Write is also emitted back, like a terminal's echo.
  void SetEcho(bool echo);
  std::string Written();
  // Waits up to `timeout_ms` until Written() contains `needle`.
  bool WaitWritten(const std::string& needle, int timeout_ms);
  // Whether a stream is open on it (OpenConsole until its Close/destroy),
  // and how many streams were ever opened.
  bool InUse();
  int opened();
  // Waits up to `timeout_ms` until no stream is open on it.
  bool WaitIdle(int timeout_ms);

 private:
  friend class FakeConsoleStream;
  friend class FakeHypervisor;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<char> output_;
  std::string written_;
  bool hangup_ = false;
  bool echo_ = false;
  bool in_use_ = false;
  int opened_ = 0;
  uint64_t generation_ = 0;  // which stream owns it (force takes over)
};

// Thread-safe like the real one: every call holds one mutex.
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
    uint64_t cpu_time_ns = 0;  // what Usage reports while it is not shut off
  };

  // Every call, in order, as "<Method> <args separated by spaces>", e.g.
  // "DefineDomain w-netlab-alice-router" or "CreateSnapshot w-x clean";
  // list calls record their prefix ("ListDomains w-netlab-").
  std::vector<std::string> calls;
  // The world as the fake sees it; tests may read and arrange it directly.
  std::map<std::string, Network> networks;
  std::map<std::string, Domain> domains;
  // Called by Start with the domain's name before anything else, without
  // the fake's lock: a test makes a start slow (QEMU launching).
  std::function<void(const std::string&)> before_start;
  // Called by Usage after it has read the domains, without the fake's lock:
  // a test widens the window between a check and what follows it.
  std::function<void()> after_usage;
  // What MigrateLive returns once the domain has moved (what went wrong
  // after, e.g. a snapshot not registered there); "" by default.
  std::string after_migration;
  // What Host() reports; its free_mib is memory_mib less the memory of
  // every domain not shut off.
  virt::HostInfo host{8192, 8192, 4};
  // Called after CreateSnapshot with the domain's disk and the snapshot:
  // the real one writes an internal snapshot into that qcow2
  // (FakeDisks::Attach keeps it there).
  std::function<void(const std::string& disk_path, const std::string& snap)> snapshot_written;

  // Makes every later call whose record starts with `call_prefix` throw
  // core::Error(message) (after being recorded, before any effect).
  void FailOn(const std::string& call_prefix, std::string message);
  void ClearFailures() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    failures_.clear();
  }

  bool NetworkExists(const std::string& name) override;
  // Like the real one, refuses a new spec that does not render to XML.
  void EnsureNetwork(const virt::NetworkSpec& spec) override;
  void RemoveNetwork(const std::string& name) override;
  std::vector<std::string> ListNetworks(const std::string& prefix) override;

  int GuardNetworks(const std::string& prefix) override;
  bool DomainExists(const std::string& name) override;
  void DefineDomain(const virt::DomainSpec& spec) override;
  void RemoveDomain(const std::string& name) override;
  std::vector<std::string> ListDomains(const std::string& prefix) override;
  virt::DomainSize Size(const std::string& name) override;
  std::vector<virt::DomainUsage> Usage(const std::string& prefix) override;
  virt::HostInfo Host() override;
  virt::DomainState State(const std::string& name) override;

  // Fails like the real one while a running domain is in the partition.
  void RemovePartition(const std::string& partition) override;
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

  // Records "MigrateLive <domain>" (on both fakes: "MigrateLive <domain> in"
  // on `to`). `to` must be a FakeHypervisor. Fails like libvirt when the
  // domain is not running, exists there already, the relocated disk file
  // does not exist, or a NIC's network is missing or inactive there; on
  // success the domain runs there, its disk and console log relocated and
  // its snapshots with it, and is gone here.
  std::string MigrateLive(const std::string& name, virt::Hypervisor& to,
                          const virt::Relocation& where) override;

  // Records "OpenConsole <domain>". Fails like libvirt when the domain is
  // not running, or its console is in use and `force` is false; with force
  // the older stream's Reads return 0.
  std::unique_ptr<virt::ConsoleStream> OpenConsole(const std::string& domain,
                                                   bool force) override;
  // The console of `domain`, created on first use. Safe to call from a test
  // thread while another thread uses this fake's OpenConsole.
  std::shared_ptr<FakeConsole> Console(const std::string& domain);

 private:
  void Record(std::string call);
  Domain& Require(const std::string& name);

  // Every public method holds it: the broker calls in from many threads.
  // Tests that read or arrange `calls`, `domains` or `networks` directly do
  // so while no other thread uses the fake.
  std::recursive_mutex mu_;
  std::vector<std::pair<std::string, std::string>> failures_;
  std::mutex consoles_mu_;
  std::map<std::string, std::shared_ptr<FakeConsole>> consoles_;
};

}  // namespace fakes

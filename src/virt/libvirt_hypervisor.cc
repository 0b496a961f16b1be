// The Hypervisor over libvirt's C API. Every handle is owned by a
// unique_ptr; every failed call becomes a core::Error carrying libvirt's
// own message and the name of the object it was about.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/error.h"
#include "virt/bridge_guard.h"
#include "virt/errors.h"
#include "virt/hypervisor.h"
#include "virt/libvirt_console.h"
#include "virt/libvirt_handles.h"
#include "virt/libvirt_migration.h"
#include "virt/partition.h"

namespace virt {
namespace {

// Whether `uri` reaches another machine: it names a host
// (driver[+transport]://[user@]host[:port]/path).
bool UriNamesAHost(const std::string& uri) {
  std::string::size_type sep = uri.find("://");
  if (sep == std::string::npos) return false;
  std::string rest = uri.substr(sep + 3);
  return !rest.empty() && rest[0] != '/' && rest[0] != '?';
}

using internal::Connect;
using internal::Domain;
using internal::Failure;
using internal::LastErrorIs;
using internal::Network;
using internal::OpenConnection;
using internal::OpenLibvirtConsole;
using internal::Snapshot;

// Takes ownership of a libvirt-allocated array of handles, so each is freed
// (and the array with them) however the caller leaves.
template <typename Handle, typename Raw>
std::vector<Handle> Adopt(Raw* items, int count) {
  std::vector<Handle> owned;
  for (int i = 0; i < count; ++i) owned.emplace_back(items[i]);
  free(items);
  return owned;
}

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

bool HasPrefix(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

class LibvirtHypervisor : public Hypervisor {
 public:
  LibvirtHypervisor(Connect conn, std::string uri)
      : conn_(std::move(conn)), uri_(std::move(uri)) {}
  LibvirtHypervisor(const LibvirtHypervisor&) = delete;
  LibvirtHypervisor& operator=(const LibvirtHypervisor&) = delete;

  bool NetworkExists(const std::string& name) override {
    return LookupNetwork(name) != nullptr;
  }

  void EnsureNetwork(const NetworkSpec& spec) override {
    RequireBridgesHere(spec.name);  // before anything is defined or started
    Network net = LookupNetwork(spec.name);
    if (!net) {
      std::string xml = RenderNetworkXml(spec);
      Connect conn = Conn();
      net.reset(virNetworkDefineXML(conn.get(), xml.c_str()));
      if (!net) throw Failure("cannot define network", spec.name);
      if (virNetworkSetAutostart(net.get(), 1) < 0) {
        throw Failure("cannot set network to autostart", spec.name);
      }
    }
    int active = virNetworkIsActive(net.get());
    if (active < 0) throw Failure("cannot query network", spec.name);
    if (!active && virNetworkCreate(net.get()) < 0) {
      throw Failure("cannot start network", spec.name);
    }
    Guard(net, spec.name);
  }

  int GuardNetworks(const std::string& prefix) override {
    int guarded = 0;
    for (const std::string& name : ListNetworks(prefix)) {
      Network net = LookupNetwork(name);
      if (!net || virNetworkIsActive(net.get()) != 1) continue;
      guarded += Guard(net, name);
    }
    return guarded;
  }

  void RemoveNetwork(const std::string& name) override {
    Network net = LookupNetwork(name);
    if (!net) return;
    int active = virNetworkIsActive(net.get());
    if (active < 0) throw Failure("cannot query network", name);
    int persistent = virNetworkIsPersistent(net.get());
    if (persistent < 0) throw Failure("cannot query network", name);
    if (active && virNetworkDestroy(net.get()) < 0) {
      throw Failure("cannot stop network", name);
    }
    if (persistent && virNetworkUndefine(net.get()) < 0) {
      throw Failure("cannot undefine network", name);
    }
  }

  // The bridge's kernel settings can only be made where its kernel is: on
  // this machine for qemu:///; libvirt's test driver has no bridges. A
  // network on another host is never left unguarded: it is an error (World
  // networks are made on their host, through its own qemu:///system).
  bool Guard(const Network& net, const std::string& name) {
    RequireBridgesHere(name);
    if (uri_.rfind("qemu:///", 0) != 0) return false;
    char* bridge = virNetworkGetBridgeName(net.get());
    if (!bridge) throw Failure("cannot read the network's bridge", name);
    std::string owned(bridge);
    free(bridge);
    GuardBridge(owned);
    return true;
  }

  void RequireBridgesHere(const std::string& name) const {
    if (UriNamesAHost(uri_)) {
      throw core::Error(
          "cannot guard the bridge of network " + name + " from here: it is on the host of " +
              uri_ + ", and its kernel settings (no address, ARP or IPv6 towards the host) "
                     "can only be made there",
          name,
          "make World networks on their own host, through its qemu:///system (a worker "
          "there); a network of a World is never left unguarded");
    }
  }

  std::vector<std::string> ListNetworks(const std::string& prefix) override {
    virNetworkPtr* raw = nullptr;
    Connect conn = Conn();
    int n = virConnectListAllNetworks(conn.get(), &raw, 0);
    if (n < 0) throw Failure("cannot list networks", prefix);
    std::vector<std::string> names;
    for (const Network& net : Adopt<Network>(raw, n)) {
      const char* name = virNetworkGetName(net.get());
      if (name && HasPrefix(name, prefix)) names.emplace_back(name);
    }
    return Sorted(std::move(names));
  }

  bool DomainExists(const std::string& name) override {
    return LookupDomain(name) != nullptr;
  }

  void DefineDomain(const DomainSpec& spec) override {
    if (LookupDomain(spec.name)) throw DomainAlreadyExists(spec.name);
    std::string xml = RenderDomainXml(spec);
    Connect conn = Conn();
    Domain dom(virDomainDefineXML(conn.get(), xml.c_str()));
    if (!dom) throw Failure("cannot define domain", spec.name);
    // Also here, so that a start outside Worlds (virsh start) finds it too,
    // until the next reboot (the qemu hook covers that: virt/partition.h).
    EnsureLocalPartition({spec.partition, spec.cpu_limit_percent}, spec.name);
  }

  void RemoveDomain(const std::string& name) override {
    Domain dom = LookupDomain(name);
    if (!dom) return;
    int persistent = virDomainIsPersistent(dom.get());
    if (persistent < 0) throw Failure("cannot query domain", name);
    if (IsActive(dom, name) && virDomainDestroy(dom.get()) < 0) {
      throw Failure("cannot power off domain", name);
    }
    // Snapshot *metadata* only: the internal snapshots live inside the qcow2
    // overlay, which belongs to the student and is kept.
    constexpr unsigned kFlags = VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                VIR_DOMAIN_UNDEFINE_NVRAM;
    if (persistent && virDomainUndefineFlags(dom.get(), kFlags) < 0) {
      // Drivers without NVRAM support (libvirt's test driver, some remote
      // hosts) refuse that flag; our domains have no UEFI NVRAM anyway.
      if (!LastErrorIs(VIR_ERR_INVALID_ARG) ||
          virDomainUndefineFlags(dom.get(), kFlags & ~VIR_DOMAIN_UNDEFINE_NVRAM) < 0) {
        throw Failure("cannot undefine domain", name);
      }
    }
  }

  std::vector<std::string> ListDomains(const std::string& prefix) override {
    virDomainPtr* raw = nullptr;
    Connect conn = Conn();
    int n = virConnectListAllDomains(conn.get(), &raw, 0);
    if (n < 0) throw Failure("cannot list domains", prefix);
    std::vector<std::string> names;
    for (const Domain& dom : Adopt<Domain>(raw, n)) {
      const char* name = virDomainGetName(dom.get());
      if (name && HasPrefix(name, prefix)) names.emplace_back(name);
    }
    return Sorted(std::move(names));
  }

  DomainSize Size(const std::string& name) override {
    Domain dom = RequireDomain(name);
    virDomainInfo info;
    if (virDomainGetInfo(dom.get(), &info) < 0) {
      throw Failure("cannot query domain size", name);
    }
    char* raw = virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE);
    if (!raw) throw Failure("cannot read domain definition", name);
    std::string xml(raw);
    free(raw);
    PartitionSpec partition = PartitionOfDomainXml(xml);
    if (partition.path == "/machine") partition.path.clear();  // libvirt's default, spelled out
    return DomainSize{static_cast<int>(info.maxMem / 1024), info.nrVirtCpu, partition.path,
                      partition.cpu_limit_percent};
  }

  std::vector<DomainUsage> Usage(const std::string& prefix) override {
    virDomainPtr* raw = nullptr;
    Connect conn = Conn();
    int n = virConnectListAllDomains(conn.get(), &raw, 0);
    if (n < 0) throw Failure("cannot list domains", prefix);
    std::vector<DomainUsage> usage;
    for (const Domain& dom : Adopt<Domain>(raw, n)) {
      const char* name = virDomainGetName(dom.get());
      if (!name || !HasPrefix(name, prefix)) continue;
      // GetInfo reads libvirt's own record (no job, no monitor call), so a
      // domain in the middle of a slow start does not hold this up.
      virDomainInfo info;
      if (virDomainGetInfo(dom.get(), &info) < 0) {
        if (LastErrorIs(VIR_ERR_NO_DOMAIN)) continue;  // removed meanwhile
        throw Failure("cannot query domain", name);
      }
      DomainUsage one;
      one.name = name;
      one.state = FromLibvirtState(info.state);
      one.memory_mib = static_cast<int>(info.maxMem / 1024);
      one.vcpus = info.nrVirtCpu;
      // Only a running domain has used CPU time that means anything (the
      // test driver reports a clock for shut-off ones).
      one.cpu_time_ns = one.state == DomainState::kShutOff ? 0 : info.cpuTime;
      usage.push_back(std::move(one));
    }
    std::sort(usage.begin(), usage.end(),
              [](const DomainUsage& a, const DomainUsage& b) { return a.name < b.name; });
    return usage;
  }

  HostInfo Host() override {
    Connect conn = Conn();
    virNodeInfo node;
    if (virNodeGetInfo(conn.get(), &node) < 0) throw Failure("cannot read the host's info", uri_);
    HostInfo host;
    host.cpus = static_cast<int>(node.cpus);
    // virNodeGetInfo's memory is NUMA node 0's on some hosts (here: 18 of
    // 24 GiB); the memory stats of all cells are the machine's (MemTotal).
    host.memory_mib = static_cast<int64_t>(node.memory / 1024);
    unsigned long long free_bytes = virNodeGetFreeMemory(conn.get());
    // 0 is libvirt's error value: told as unknown, which is 0 free.
    host.free_mib = static_cast<int64_t>(free_bytes / (1024 * 1024));
    int count = 0;
    if (virNodeGetMemoryStats(conn.get(), VIR_NODE_MEMORY_STATS_ALL_CELLS, nullptr, &count,
                              0) == 0 &&
        count > 0) {
      std::vector<virNodeMemoryStats> stats(static_cast<size_t>(count));
      if (virNodeGetMemoryStats(conn.get(), VIR_NODE_MEMORY_STATS_ALL_CELLS, stats.data(),
                                &count, 0) == 0) {
        for (int i = 0; i < count; ++i) {
          std::string field = stats[i].field;
          if (field == VIR_NODE_MEMORY_STATS_TOTAL) {
            host.memory_mib = static_cast<int64_t>(stats[i].value / 1024);  // KiB
          } else if (field == VIR_NODE_MEMORY_STATS_FREE) {
            host.free_mib = static_cast<int64_t>(stats[i].value / 1024);
          }
        }
      }
    }
    // Drivers without memory stats (the test driver) keep node info's.
    return host;
  }

  DomainState State(const std::string& name) override {
    Domain dom = RequireDomain(name);
    int state = 0;
    int reason = 0;
    if (virDomainGetState(dom.get(), &state, &reason, 0) < 0) {
      throw Failure("cannot query domain state", name);
    }
    return FromLibvirtState(state);
  }

  static DomainState FromLibvirtState(int state) {
    switch (state) {
      case VIR_DOMAIN_RUNNING:
      case VIR_DOMAIN_BLOCKED:  // running, waiting on a resource
        return DomainState::kRunning;
      case VIR_DOMAIN_PAUSED:
        return DomainState::kPaused;
      case VIR_DOMAIN_SHUTOFF:
        return DomainState::kShutOff;
      default:
        return DomainState::kOther;
    }
  }

  void RemovePartition(const std::string& partition) override {
    if (uri_.rfind("qemu:///", 0) != 0) return;
    virt::RemovePartition(partition);
  }

  void Start(const std::string& name) override {
    Domain dom = RequireDomain(name);
    if (IsActive(dom, name)) throw AlreadyRunning(name);
    EnsureOwnPartition(dom, name);
    if (virDomainCreate(dom.get()) < 0) throw Failure("cannot start domain", name);
  }

  // libvirt never creates a partition below /machine, and a reboot empties
  // /sys/fs/cgroup: every start makes sure the domain's is there (cheap:
  // a few mkdir and writes). Only the local kernel's cgroups can be made.
  void EnsureOwnPartition(const Domain& dom, const std::string& name) {
    if (uri_.rfind("qemu:///", 0) != 0) return;
    char* raw = virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE);
    if (!raw) throw Failure("cannot read domain definition", name);
    std::string xml(raw);
    free(raw);
    EnsureLocalPartition(PartitionOfDomainXml(xml), name);
  }

  void EnsureLocalPartition(const PartitionSpec& partition, const std::string& name) {
    if (uri_.rfind("qemu:///", 0) != 0) return;
    if (partition.path.empty() || partition.path == "/machine") return;
    try {
      EnsurePartition(partition);
    } catch (const core::Error& e) {
      throw core::Error("cannot prepare the partition " + partition.path + " of " + name + ": " +
                            e.message(),
                        e.where(), e.fix());
    }
  }

  void Shutdown(const std::string& name) override {
    Domain dom = RequireDomain(name);
    if (!IsActive(dom, name)) throw NotRunning(name);
    if (virDomainShutdown(dom.get()) < 0) {
      throw Failure("cannot shut down domain", name);
    }
  }

  void PowerOff(const std::string& name) override {
    Domain dom = RequireDomain(name);
    if (!IsActive(dom, name)) throw NotRunning(name);
    if (virDomainDestroy(dom.get()) < 0) {
      throw Failure("cannot power off domain", name);
    }
  }

  bool HasSnapshot(const std::string& domain, const std::string& snap) override {
    Domain dom = RequireDomain(domain);
    return LookupSnapshot(dom, domain, snap) != nullptr;
  }

  void CreateSnapshot(const std::string& domain, const std::string& snap) override {
    Domain dom = RequireDomain(domain);
    // A shut-off domain makes libvirt take an internal disk-only snapshot
    // with qemu-img; a running one would also save RAM, which we never want.
    if (IsActive(dom, domain)) throw SnapshotNeedsShutOff(domain, snap);
    if (LookupSnapshot(dom, domain, snap)) throw SnapshotAlreadyExists(domain, snap);
    std::string xml = RenderSnapshotXml(
        snap, "Taken by Worlds before first boot; students revert to it.");
    Snapshot made(virDomainSnapshotCreateXML(dom.get(), xml.c_str(), 0));
    if (!made) throw Failure("cannot create snapshot '" + snap + "'", domain);
  }

  void AdoptSnapshot(const std::string& domain, const std::string& snap) override {
    Domain dom = RequireDomain(domain);
    if (IsActive(dom, domain)) throw SnapshotNeedsShutOff(domain, snap);
    if (LookupSnapshot(dom, domain, snap)) return;
    char* raw = virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE);
    if (!raw) throw Failure("cannot read domain definition", domain);
    std::string domain_xml(raw);
    free(raw);
    // The qcow2 knows the true date, but libvirt only keeps this one for
    // display; "now" (the adoption) is honest enough and needs no qemu-img.
    std::string xml = RenderAdoptedSnapshotXml(snap, domain_xml,
                                               static_cast<long long>(std::time(nullptr)));
    Snapshot made(virDomainSnapshotCreateXML(
        dom.get(), xml.c_str(), VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE));
    if (!made) throw Failure("cannot adopt snapshot '" + snap + "'", domain);
  }

  void RevertToSnapshot(const std::string& domain, const std::string& snap) override {
    Domain dom = RequireDomain(domain);
    Snapshot s = LookupSnapshot(dom, domain, snap);
    if (!s) throw NoSuchSnapshot(domain, snap);
    if (virDomainRevertToSnapshot(s.get(), 0) < 0) {
      throw Failure("cannot revert to snapshot '" + snap + "'", domain);
    }
  }

  std::vector<std::string> ListSnapshots(const std::string& domain) override {
    Domain dom = RequireDomain(domain);
    virDomainSnapshotPtr* raw = nullptr;
    int n = virDomainListAllSnapshots(dom.get(), &raw, 0);
    if (n < 0) throw Failure("cannot list snapshots", domain);
    std::vector<std::string> names;
    for (const Snapshot& s : Adopt<Snapshot>(raw, n)) {
      const char* name = virDomainSnapshotGetName(s.get());
      if (name) names.emplace_back(name);
    }
    return Sorted(std::move(names));
  }

  std::string MigrateLive(const std::string& name, Hypervisor& to,
                          const Relocation& where) override {
    auto* target = dynamic_cast<LibvirtHypervisor*>(&to);
    if (!target) {
      throw core::Error("a domain migrates only between two libvirt connections", name);
    }
    Connect from = Conn();
    Connect to_conn = target->Conn();
    return internal::MigrateLive(from.get(), to_conn.get(), name, where);
  }

  std::unique_ptr<ConsoleStream> OpenConsole(const std::string& domain,
                                             bool force) override {
    Domain dom = RequireDomain(domain);
    if (!IsActive(dom, domain)) throw NotRunning(domain);
    return OpenLibvirtConsole(uri_, domain, force);
  }

 private:
  // Absent is a normal answer (nullptr); any other failure throws.
  Network LookupNetwork(const std::string& name) {
    Connect conn = Conn();
    Network net(virNetworkLookupByName(conn.get(), name.c_str()));
    if (!net && !LastErrorIs(VIR_ERR_NO_NETWORK)) {
      throw Failure("cannot look up network", name);
    }
    return net;
  }

  Domain LookupDomain(const std::string& name) {
    Connect conn = Conn();
    Domain dom(virDomainLookupByName(conn.get(), name.c_str()));
    if (!dom && !LastErrorIs(VIR_ERR_NO_DOMAIN)) {
      throw Failure("cannot look up domain", name);
    }
    return dom;
  }

  Domain RequireDomain(const std::string& name) {
    Domain dom = LookupDomain(name);
    if (!dom) throw NoSuchDomain(name);
    return dom;
  }

  Snapshot LookupSnapshot(const Domain& dom, const std::string& domain,
                          const std::string& snap) {
    Snapshot s(virDomainSnapshotLookupByName(dom.get(), snap.c_str(), 0));
    if (!s && !LastErrorIs(VIR_ERR_NO_DOMAIN_SNAPSHOT)) {
      throw Failure("cannot look up snapshot '" + snap + "'", domain);
    }
    return s;
  }

  bool IsActive(const Domain& dom, const std::string& name) {
    int active = virDomainIsActive(dom.get());
    if (active < 0) throw Failure("cannot query domain", name);
    return active == 1;
  }

  // The connection to call through: the one held, or a new one when
  // libvirt has marked it closed (its libvirtd restarted, the lab host
  // rebooted or the SSH link dropped: the event loop notices, see
  // OpenConnection). So a long-lived holder, the broker, carries on
  // once libvirtd is back, where it used to fail every call until it was
  // restarted itself. The caller gets a reference of its own, so a thread
  // replacing the connection never frees it under another thread's call.
  // Throws core::Error, naming the URI, while libvirtd cannot be reached.
  // Keep it in a named local until libvirt's error has been read: closing
  // the reference is a libvirt call, which clears the thread's last error.
  Connect Conn() {
    std::lock_guard<std::mutex> lock(conn_mu_);
    if (virConnectIsAlive(conn_.get()) == 0) {
      Connect fresh = OpenConnection(uri_);
      if (!fresh) {
        throw core::Error("lost the connection to libvirt at " + uri_ +
                              " and cannot open it again: " + virGetLastErrorMessage(),
                          uri_, "check that libvirtd runs there and re-run the command");
      }
      conn_ = std::move(fresh);
    }
    if (virConnectRef(conn_.get()) < 0) throw Failure("cannot use the connection", uri_);
    return Connect(conn_.get());
  }

  std::mutex conn_mu_;
  Connect conn_;  // guarded by conn_mu_; used through Conn()
  std::string uri_;  // for reconnecting and the per-console connections
};

}  // namespace

std::unique_ptr<Hypervisor> NewLibvirtHypervisor(const std::string& uri) {
  // Errors reach the user through core::Error; libvirt's default handler
  // would also print them to stderr, garbling menus and progress output.
  virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
  Connect conn = OpenConnection(uri);
  if (!conn) {
    throw core::Error("cannot connect to libvirt at " + uri + ": " +
                          virGetLastErrorMessage(),
                      "", "start libvirtd (libvirtd -d) or pass --connect URI");
  }
  return std::make_unique<LibvirtHypervisor>(std::move(conn), uri);
}

}  // namespace virt

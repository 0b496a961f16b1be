// The hypervisor as Worlds needs it: isolated networks, domains, snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace virt {

struct NetworkSpec {
  std::string name;    // core::NetworkName
  std::string bridge;  // core::BridgeName, at most 15 characters
};

struct InterfaceSpec {
  std::string network;  // a NetworkSpec name
  std::string mac;      // core::MacAddress
};

struct DomainSpec {
  std::string name;       // core::DomainName
  std::string accel = "qemu";  // "kvm" or "qemu" (TCG): libvirt domain type
  int memory_mib = 256;
  int vcpus = 1;
  std::string disk_path;  // the VM's qcow2 overlay
  std::string disk_format = "qcow2";
  std::vector<InterfaceSpec> interfaces;
  // Direct kernel boot, when the image has no boot loader; empty otherwise.
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  std::string console_log;  // serial console also logged here when set
  std::string title;        // shown by virsh list --title
  // The libvirt resource partition (cgroup) the domain runs in, e.g.
  // core::WorldPartition; empty: libvirt's default, /machine. It must exist
  // before the domain starts (virt/partition.h): Start makes sure it does.
  std::string partition;
  // The partition's CPU limit in percent of one host CPU (core::CpuLimit),
  // kept in the domain's metadata so that whoever makes the partition
  // (Start, the qemu hook) sets it; 0: none. Needs a partition.
  int cpu_limit_percent = 0;
};

enum class DomainState { kRunning, kPaused, kShutOff, kOther };

// What a defined domain was given: the part of a DomainSpec a lab change
// (or the cpu-partitions setting) can alter without touching the disk.
struct DomainSize {
  int memory_mib = 0;
  int vcpus = 0;
  std::string partition;  // empty: libvirt's default (/machine)
  int cpu_limit_percent = 0;  // DomainSpec::cpu_limit_percent
  bool operator==(const DomainSize& other) const {
    return memory_mib == other.memory_mib && vcpus == other.vcpus &&
           partition == other.partition && cpu_limit_percent == other.cpu_limit_percent;
  }
};
const char* ToString(DomainState state);

// What the host has, as libvirt's node info tells it.
struct HostInfo {
  int64_t memory_mib = 0;  // physical RAM
  int64_t free_mib = 0;    // free now (the kernel's view, caches excluded)
  int cpus = 0;            // logical CPUs
};

// One domain's size and use, as admission, capacity and idle shutdown need
// it: one call for every domain, so a busy host is read in one pass.
struct DomainUsage {
  std::string name;
  DomainState state = DomainState::kOther;
  int memory_mib = 0;         // configured (maximum) memory
  int vcpus = 0;
  uint64_t cpu_time_ns = 0;   // CPU time used since it started (0 when shut off)
};

// Where a domain moving live to another host finds its files there.
struct Relocation {
  // Each file the domain names (its disk, its console log) and the path it
  // has on the other host; a file not named keeps its path (base images,
  // kernels: the same image dir on every host).
  std::map<std::string, std::string> paths;
  // Where the source's QEMU sends the memory and the disk ("tcp://HOST");
  // empty: libvirt's default, the target host's own host name.
  std::string migrate_uri;
};

// A VM's serial console as a byte stream (libvirt's console stream). Used
// by two threads at once: one reads, one writes. Closing (destroying) it
// ends the session.
class ConsoleStream {
 public:
  virtual ~ConsoleStream() = default;
  // Blocks until bytes arrive; returns how many (0: the console closed).
  // Throws core::Error on failure.
  virtual size_t Read(char* buffer, size_t size) = 0;
  // Writes all of `data`; throws core::Error on failure.
  virtual void Write(const char* data, size_t size) = 0;
  // Ends the session from any thread, without freeing the stream: a Read
  // blocked in another thread returns 0, later Reads return 0 and later
  // Writes throw. Idempotent. (The relay needs this: the side that sees the
  // client leave must wake the side blocked in Read before destroying it.)
  virtual void Close() = 0;
};

// Implementations are safe to call from several threads at once (libvirt's
// connections are); callers serialize what must not interleave on one
// domain themselves (the broker's per-VM locks).
class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  // Networks: defined persistent, started and set to autostart. No <forward>:
  // guests on it reach each other and nothing else.
  virtual bool NetworkExists(const std::string& name) = 0;
  // Defines and starts; if it exists already, only starts it when inactive.
  virtual void EnsureNetwork(const NetworkSpec& spec) = 0;
  // Stops and undefines; absent is fine.
  virtual void RemoveNetwork(const std::string& name) = 0;
  virtual std::vector<std::string> ListNetworks(const std::string& prefix) = 0;
  // Makes the bridge of every active network named `prefix`... give the
  // host nothing (virt/bridge_guard.h); returns how many. EnsureNetwork does
  // it for its network; this redoes it for networks libvirt autostarted
  // (after a host reboot) without us. Both throw core::Error through a URI
  // that names another host (its bridges' settings can only be made there:
  // never silently skipped); libvirt's test driver has no bridges.
  virtual int GuardNetworks(const std::string& prefix) = 0;

  virtual bool DomainExists(const std::string& name) = 0;
  // Defines a persistent domain (not started). Throws if it exists.
  virtual void DefineDomain(const DomainSpec& spec) = 0;
  // Powers off if running, removes snapshot metadata and undefines; the disk
  // is left alone, and so are the internal snapshots inside it (a later
  // DefineDomain on the same disk does not list them). Absent is fine.
  virtual void RemoveDomain(const std::string& name) = 0;
  virtual std::vector<std::string> ListDomains(const std::string& prefix) = 0;
  virtual DomainState State(const std::string& name) = 0;
  // The domain's configured memory and vCPUs. Throws if it is absent.
  virtual DomainSize Size(const std::string& name) = 0;
  // Every domain whose name starts with `prefix` ("" for all, Worlds' or
  // not: they all use the host's memory), in name order. A domain removed
  // while it is read is left out.
  virtual std::vector<DomainUsage> Usage(const std::string& prefix) = 0;
  // The host's memory and CPUs.
  virtual HostInfo Host() = 0;

  // Removes a World's resource partition (DomainSpec::partition) once its
  // domains are gone, so destroyed Worlds leave no cgroups behind. Absent is
  // fine; a no-op off the local host and on systemd hosts (virt/partition.h).
  // Throws core::Error when a running domain is still in it.
  virtual void RemovePartition(const std::string& partition) = 0;

  // Makes sure the domain's partition exists first (libvirt never creates
  // one, and a reboot empties the cgroups: virt/partition.h).
  virtual void Start(const std::string& name) = 0;
  virtual void Shutdown(const std::string& name) = 0;   // ACPI, returns at once
  virtual void PowerOff(const std::string& name) = 0;   // destroy

  virtual bool HasSnapshot(const std::string& domain, const std::string& snap) = 0;
  // An internal snapshot of a shut-off domain's disk.
  virtual void CreateSnapshot(const std::string& domain, const std::string& snap) = 0;
  // Registers an internal snapshot that already exists in the shut-off
  // domain's disk (an overlay kept by `destroy`, redefined over again), so
  // that it can be reverted to; the disk is not touched, and a second
  // snapshot of the same name is never written into it. A no-op when libvirt
  // knows the snapshot already. The disk is not checked: if it lacks the
  // snapshot, RevertToSnapshot is what fails.
  // Throws when the domain is absent or running.
  virtual void AdoptSnapshot(const std::string& domain, const std::string& snap) = 0;
  virtual void RevertToSnapshot(const std::string& domain, const std::string& snap) = 0;
  virtual std::vector<std::string> ListSnapshots(const std::string& domain) = 0;

  // Moves the running domain `name` live to the host of `to` (libvirt's
  // migration, driven from here): its memory, and its disk's top layer
  // copied into the file `where` names for its disk, which must exist there
  // already over the same base (NON_SHARED_INC). It keeps running, defined
  // persistently there and no longer here. Its snapshot metadata, which
  // libvirt refuses to migrate, goes with it: taken off here, registered
  // there; the snapshots themselves must be inside that file already
  // (image::ExportSnapshot). Throws core::Error when the move fails: the
  // domain runs on here then, its snapshots registered again. Once it runs
  // there it has moved: what went wrong after (a snapshot not registered
  // there) is returned, in words ("" when nothing did). `to` must be of the
  // same kind (a libvirt one for a libvirt one).
  virtual std::string MigrateLive(const std::string& name, Hypervisor& to,
                                  const Relocation& where) = 0;

  // Opens the running domain's serial console. Throws core::Error when the
  // domain is not running or the console is busy (force takes it over).
  virtual std::unique_ptr<ConsoleStream> OpenConsole(const std::string& domain,
                                                     bool force) = 0;
};

// Connects to `uri` (e.g. "qemu:///system"); throws core::Error naming the
// URI and libvirt's message when it cannot, with a hint to start libvirtd.
std::unique_ptr<Hypervisor> NewLibvirtHypervisor(const std::string& uri);

// The XML libvirt is given, filled from templates/ through pugixml (every
// value escaped). Exposed for tests.
// Each throws core::Error when a value cannot be represented (a control
// character, an unknown accel, a non-positive size) or a template is missing.
std::string RenderNetworkXml(const NetworkSpec& spec);
std::string RenderDomainXml(const DomainSpec& spec);
std::string RenderSnapshotXml(const std::string& name,
                              const std::string& description);
// The XML to redefine snapshot `name` of a shut-off domain whose inactive
// definition is `domain_xml`, taken at `creation_time` (seconds since the
// epoch): libvirt's REDEFINE needs time, state, disk and domain.
std::string RenderAdoptedSnapshotXml(const std::string& name,
                                     const std::string& domain_xml,
                                     long long creation_time);
// A domain's (or a snapshot's) XML with every `file` attribute that names
// a key of `paths` (disk sources, console logs) set to its value: the
// definition a domain moving to another host has there. Throws core::Error
// when `xml` is not XML.
std::string RelocateXml(const std::string& xml,
                        const std::map<std::string, std::string>& paths);

}  // namespace virt

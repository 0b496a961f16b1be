// A World's resource partition: the cgroup all its domains run in
// (<resource><partition> in their XML, core::WorldPartition), so that CPU is
// shared per World and not per VM: every World's partition gets the same
// weight, whatever its number of VMs, and its VMs share what it gets.
//
// libvirt places a domain in its partition but never creates a partition
// other than /machine: starting a domain whose partition is missing fails
// ("Failed to create v2 cgroup '.../machine/x.partition/'"), so the
// partition must exist before every start, also after a host reboot has
// emptied /sys/fs/cgroup. How libvirt names it on the host:
//   - no systemd (cgroupfs, v1 or v2): each level below /machine gets the
//     suffix ".partition": /machine/worlds/netlab_alice is the directory
//     machine/worlds.partition/netlab_alice.partition in every hierarchy
//     libvirt uses (verified with libvirt 9.0 on cgroup v1 + a v2 hierarchy
//     with no controllers: it needs the directory in each of them, and in
//     cpuset it needs cpuset.cpus and cpuset.mems filled in);
//   - systemd with machined: the partition is the slice
//     machine-worlds-netlab_alice.slice ('/' becomes '-', a '-' in a name
//     becomes "\x2d"), which systemd creates on its own when the machine's
//     scope names it, with the default weight every sibling slice has (from
//     libvirt's and systemd's documentation; not verified on this host,
//     which has no systemd).
#pragma once

#include <string>
#include <vector>

namespace virt {

// Where the host's cgroups are, for tests to point elsewhere.
struct CgroupHost {
  std::string mounts = "/proc/self/mounts";  // finds every cgroup hierarchy
  // Present when systemd is the init (sd_booted(3)): then systemd owns the
  // cgroup tree and nothing is written to it here.
  std::string systemd_marker = "/run/systemd/system";
};

// The CPU weight every World's partition gets: the kernel's default, so a
// World weighs as much as a VM outside Worlds would.
inline constexpr int kCpuSharesV1 = 1024;  // cpu.shares
inline constexpr int kCpuWeightV2 = 100;   // cpu.weight

// A World's optional CPU limit (core::CpuLimit) is the bandwidth quota of
// its partition per period: cpu.cfs_quota_us / cpu.cfs_period_us on v1,
// cpu.max "QUOTA PERIOD" on v2 ("-1" and "max" when there is none). The
// kernel's default period, 100 ms: 150% is 150 ms of CPU time per 100 ms.
inline constexpr int kCpuPeriodUs = 100000;

// The namespace of Worlds' element in a domain's <metadata>, where the
// partition's CPU limit travels with the definition (libvirt keeps any
// element of a namespace of its own there):
//   <metadata><worlds:partition xmlns:worlds="urn:x-worlds:partition:1"
//                               cpu-limit-percent="150"/></metadata>
inline constexpr const char* kMetadataNamespace = "urn:x-worlds:partition:1";

// What a domain's definition says about its partition.
struct PartitionSpec {
  std::string path;           // <resource><partition>; empty: none
  int cpu_limit_percent = 0;  // of one host CPU, for the whole partition; 0: none
};

// The directories libvirt uses for `partition` below a hierarchy's root on
// a host without systemd: "/machine/worlds/netlab_alice" gives
// {"machine", "machine/worlds.partition",
//  "machine/worlds.partition/netlab_alice.partition"}, outermost first.
// Throws core::Error for a partition that is not below /machine or has a
// level that is not lowercase letters, digits, '_' and '-' (the names
// libvirt would escape are never made by Worlds).
std::vector<std::string> PartitionDirs(const std::string& partition);

// Makes sure `partition.path` exists as libvirt will look for it, with the
// equal CPU weight above on each level below /machine (on cgroup v2 with
// the controllers enabled that libvirt needs below it) and the World's own
// level limited to `partition.cpu_limit_percent` (or unlimited again).
// Idempotent and safe to call from two starts of one World at once. Does
// nothing on a systemd host (see above). Throws core::Error naming the
// path when a directory or a setting cannot be written (not root, cgroups
// not mounted).
void EnsurePartition(const PartitionSpec& partition, const CgroupHost& host = {});

// Whether a call of libvirt's qemu hook (/etc/libvirt/hooks/qemu.d/worlds:
// DOMAIN OPERATION SUBOPERATION -, the domain's XML on stdin) is one to
// make the partition at: "prepare begin", which libvirt runs before it sets
// up anything for the domain, of a World's domain (core::kObjectPrefix).
// That covers every start, `virsh start` and autostart after a reboot too.
bool HookPreparesPartition(const std::string& domain, const std::string& operation,
                           const std::string& suboperation);

// The <resource><partition> of a libvirt domain definition (empty when it
// has none) and the CPU limit in its Worlds metadata (0 when none). Throws
// core::Error when `xml` is not a domain's XML or the limit is not a
// number from 1 to 102400.
PartitionSpec PartitionOfDomainXml(const std::string& xml);

// Removes the World's own level of `partition` from every hierarchy (the
// shared /machine/worlds stays); absent is fine. Throws core::Error when a
// level still holds a running domain. Does nothing on a systemd host.
void RemovePartition(const std::string& partition, const CgroupHost& host = {});

}  // namespace virt

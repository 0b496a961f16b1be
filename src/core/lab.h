// Value types for a lab definition and a roster, as parsed and validated by
// config/. Plain data: no behaviour beyond lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace core {

// Where a value came from in its source file (1-based; 0 when unknown).
struct SourcePos {
  std::string file;
  int line = 0;
  int col = 0;
  std::string ToString() const;  // "file:line:col"
};

struct BaseImage {
  std::string name;  // key used by VMs
  std::string path;  // absolute path of the qcow2 (or raw) base
  std::string format = "qcow2";  // backing format, always explicit
  // Optional direct kernel boot (for images without a boot loader, such as
  // the tiny test image); absolute paths or empty.
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  SourcePos pos;
};

struct LabNetwork {
  std::string name;
  std::string cidr;       // as written, e.g. "10.10.0.0/24"
  uint32_t address = 0;   // network address, host order
  int prefix = 0;         // 0..32
  SourcePos pos;
};

struct Nic {
  std::string network;     // a LabNetwork name
  std::string ip_pattern;  // e.g. "10.10.0.{index}" or "10.10.0.11"
  SourcePos pos;
  // Optional, so after pos and with initializers: {network, ip_pattern, pos}
  // still builds a Nic, without -Wmissing-field-initializers.
  // The guest's default route: a fixed address inside `network` (never a
  // pattern); empty for none.
  std::string gateway{};
  // The guest's resolvers: dotted quads, at most three; empty for none.
  std::vector<std::string> dns{};
};

struct LabVm {
  std::string name;
  std::string image;  // a BaseImage name
  int memory_mib = 256;
  int vcpus = 1;
  std::string hostname_pattern;  // e.g. "{vm}-{owner}"
  std::vector<Nic> nics;
  std::vector<std::string> commands;  // first-boot shell commands
  SourcePos pos;
};

// A date and time on a wall clock, without a zone: a schedule's zone gives
// it meaning ("2027-01-11 08:00" in America/Chicago).
struct LocalDateTime {
  int year = 0;
  int month = 0;   // 1..12
  int day = 0;     // 1..31
  int minute = 0;  // minutes since midnight, 0..1439
};

// A weekly recurring opening: on each of `days`, from `from` to `to`
// (minutes since local midnight). A window whose `to` is before `from`
// crosses midnight and ends on the next day ("22:00" to "02:00"); `to` may
// be 1440 ("24:00", midnight at the end of the day). The parser refuses
// `to` equal to `from` (a window of zero length).
struct WeeklyWindow {
  std::vector<int> days;  // 0 = Sunday .. 6 = Saturday, as tm_wday
  int from = 0;           // 0..1439
  int to = 0;             // 0..1440
  SourcePos pos;
};

// When a lab's VMs may run (schedule/ evaluates it). Without windows the lab
// is open from `open` to `close` (each unbounded when absent); with windows,
// only inside them and inside those bounds.
struct LabSchedule {
  std::string timezone = "UTC";  // IANA name
  std::optional<LocalDateTime> open;
  std::optional<LocalDateTime> close;
  std::vector<WeeklyWindow> windows;
  int warning_minutes = 5;  // students are warned this long before a close
  int grace_minutes = 2;    // from an ACPI shutdown (close, idle) to power off
  SourcePos pos;
};

// Shut a VM down when it has been idle this long: no console session and
// its CPU time below `cpu_fraction` of each of its vCPUs over the period.
struct IdlePolicy {
  int after_minutes = 30;
  // 2% of a vCPU: an idle Linux guest ticks well under 1%; a shell loop, a
  // compile or a daemon serving requests is far above it.
  double cpu_fraction = 0.02;
  SourcePos pos;
};

// At most this much of the host's CPU time for each World of the lab, all
// its VMs together (the cgroup quota of the World's partition): 150 is one
// and a half host CPUs. Needs the cpu-partitions setting "world".
struct CpuLimit {
  int percent = 0;  // of one host CPU, 1..102400
  SourcePos pos;
};

struct Lab {
  std::string name;
  std::string description;
  std::string source_file;  // the YAML file it was read from
  std::vector<BaseImage> images;
  std::vector<LabNetwork> networks;
  std::vector<LabVm> vms;
  std::optional<LabSchedule> schedule;  // none: always open
  std::optional<IdlePolicy> idle;       // none: idle VMs keep running
  std::optional<CpuLimit> cpu_limit;    // none: a World takes what its share gives

  const BaseImage* FindImage(const std::string& name) const;
  const LabNetwork* FindNetwork(const std::string& name) const;
  const LabVm* FindVm(const std::string& name) const;
};

struct Student {
  std::string username;
  std::string full_name;
  std::string group;
  int line = 0;  // line in the roster file
};

struct Roster {
  std::string source_file;
  std::vector<Student> students;
};

// One owner's copy of a lab: a student (or a group, with --per group).
struct World {
  std::string lab;
  std::string owner;
  int index = 1;  // 1-based position of the owner in the roster
};

}  // namespace core

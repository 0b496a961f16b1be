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

struct Lab {
  std::string name;
  std::string description;
  std::string source_file;  // the YAML file it was read from
  std::vector<BaseImage> images;
  std::vector<LabNetwork> networks;
  std::vector<LabVm> vms;

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

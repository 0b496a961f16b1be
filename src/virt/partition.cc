#include "virt/partition.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "core/error.h"
#include "core/names.h"

namespace virt {
namespace {

constexpr const char* kFix =
    "run as root on the libvirt host with the cgroup controllers mounted, or set "
    "cpu-partitions = none";

// The controllers libvirt's QEMU driver may place a domain with on cgroup
// v1 (qemu.conf cgroup_controllers): a hierarchy with none of them is not
// libvirt's business, nor ours.
const std::set<std::string>& LibvirtControllers() {
  static const std::set<std::string> names = {"cpu",    "cpuacct", "cpuset", "memory",
                                              "devices", "freezer", "blkio", "net_cls",
                                              "perf_event"};
  return names;
}

struct Hierarchy {
  std::string root;
  bool v2 = false;
  std::set<std::string> controllers;  // v1: its mount options' controllers
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

std::vector<Hierarchy> Hierarchies(const CgroupHost& host) {
  std::ifstream in(host.mounts);
  if (!in) throw core::Error("cannot read the mount table", host.mounts, kFix);
  std::vector<Hierarchy> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string device, dir, type, options;
    if (!(fields >> device >> dir >> type >> options)) continue;
    if (type == "cgroup2") {
      out.push_back({dir, true, {}});
    } else if (type == "cgroup") {
      Hierarchy h{dir, false, {}};
      for (const std::string& option : Split(options, ',')) {
        if (LibvirtControllers().count(option)) h.controllers.insert(option);
      }
      if (!h.controllers.empty()) out.push_back(h);
    }
  }
  if (out.empty()) {
    throw core::Error("no cgroup hierarchy is mounted", host.mounts, kFix);
  }
  return out;
}

bool IsLevelName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A cgroup file takes one write; the kernel's refusal comes back as errno.
void Write(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  if (out) out << value << "\n";
  if (!out || !out.flush()) {
    throw core::Error("cannot write '" + value + "': " + std::strerror(errno), path, kFix);
  }
}

void MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw core::Error(std::string("cannot create the cgroup: ") + std::strerror(errno),
                      path, kFix);
  }
}

// A new cpuset cgroup has no CPUs and no memory nodes, and a task cannot
// join it (libvirt: "No space left on device"): it gets its parent's.
void InheritCpuset(const std::string& parent, const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (!ReadTrimmed(dir + "/" + file).empty()) continue;
    Write(dir + "/" + file, ReadTrimmed(parent + "/" + file));
  }
}

// On v2 a child has a controller only when its parent lists it in
// cgroup.subtree_control: libvirt enables them in the partition it creates
// the domain under, but that needs them enabled down to it.
void EnableControllers(const std::string& dir) {
  std::set<std::string> enabled;
  for (const std::string& c : Split(ReadTrimmed(dir + "/cgroup.subtree_control"), ' ')) {
    enabled.insert(c);
  }
  for (const std::string& c : Split(ReadTrimmed(dir + "/cgroup.controllers"), ' ')) {
    if (!c.empty() && !enabled.count(c)) Write(dir + "/cgroup.subtree_control", "+" + c);
  }
}

bool Lists(const std::string& file, const std::string& word) {
  for (const std::string& w : Split(ReadTrimmed(file), ' ')) {
    if (w == word) return true;
  }
  return false;
}

// The World's own level: its quota per period, or none.
void LimitCpu(const Hierarchy& h, const std::string& parent, const std::string& dir,
              int percent) {
  std::string period = std::to_string(kCpuPeriodUs);
  std::string quota = std::to_string(static_cast<long long>(percent) * kCpuPeriodUs / 100);
  if (!h.v2 && h.controllers.count("cpu")) {
    Write(dir + "/cpu.cfs_period_us", period);
    Write(dir + "/cpu.cfs_quota_us", percent > 0 ? quota : "-1");
  }
  if (h.v2 && Lists(parent + "/cgroup.subtree_control", "cpu")) {
    Write(dir + "/cpu.max", (percent > 0 ? quota : "max") + " " + period);
  }
}

void EnsureIn(const Hierarchy& h, const std::vector<std::string>& dirs, int cpu_limit_percent) {
  std::string parent = h.root;
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::string dir = h.root + "/" + dirs[i];
    // /machine is libvirt's own (it makes it at its first start); only the
    // levels below it are ours to set.
    bool ours = i > 0;
    // Down from the root: on a cgroup v2 host without systemd we may make
    // /machine before libvirt does, and it must have the controllers too.
    if (h.v2) EnableControllers(parent);
    MakeDir(dir);
    if (!h.v2 && h.controllers.count("cpuset")) InheritCpuset(parent, dir);
    if (ours && !h.v2 && h.controllers.count("cpu")) {
      Write(dir + "/cpu.shares", std::to_string(kCpuSharesV1));
    }
    if (ours && h.v2 && Lists(parent + "/cgroup.subtree_control", "cpu")) {
      Write(dir + "/cpu.weight", std::to_string(kCpuWeightV2));
    }
    if (i + 1 == dirs.size()) LimitCpu(h, parent, dir, cpu_limit_percent);
    parent = dir;
  }
}

}  // namespace

std::vector<std::string> PartitionDirs(const std::string& partition) {
  std::vector<std::string> levels = Split(partition, '/');
  bool valid = levels.size() >= 3 && levels[0].empty() && levels[1] == "machine" &&
               partition.back() != '/';
  for (size_t i = 2; valid && i < levels.size(); ++i) valid = IsLevelName(levels[i]);
  if (!valid) {
    throw core::Error("'" + partition + "' is not a partition Worlds makes", "partition",
                      "use core::WorldPartition: /machine/worlds/<lab>_<owner>");
  }
  std::vector<std::string> dirs = {"machine"};
  for (size_t i = 2; i < levels.size(); ++i) {
    dirs.push_back(dirs.back() + "/" + levels[i] + ".partition");
  }
  return dirs;
}

void EnsurePartition(const PartitionSpec& partition, const CgroupHost& host) {
  std::vector<std::string> dirs = PartitionDirs(partition.path);
  if (partition.cpu_limit_percent < 0) {
    throw core::Error("a CPU limit of " + std::to_string(partition.cpu_limit_percent) +
                          "% is not a limit",
                      partition.path);
  }
  if (Exists(host.systemd_marker)) return;
  for (const Hierarchy& h : Hierarchies(host)) EnsureIn(h, dirs, partition.cpu_limit_percent);
}

bool HookPreparesPartition(const std::string& domain, const std::string& operation,
                           const std::string& suboperation) {
  return operation == "prepare" && suboperation == "begin" &&
         domain.rfind(core::kObjectPrefix, 0) == 0;
}

PartitionSpec PartitionOfDomainXml(const std::string& xml) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str()) || !doc.child("domain")) {
    throw core::Error("libvirt returned a domain definition that is not XML");
  }
  pugi::xml_node domain = doc.child("domain");
  PartitionSpec spec;
  spec.path = domain.child("resource").child_value("partition");
  // The element is found by its namespace, whatever prefix libvirt gave it
  // (it keeps the one it was defined with).
  for (pugi::xml_node element : domain.child("metadata").children()) {
    std::string name = element.name();
    std::string::size_type colon = name.find(':');
    std::string prefix = colon == std::string::npos ? "" : name.substr(0, colon);
    std::string local = colon == std::string::npos ? name : name.substr(colon + 1);
    std::string xmlns = prefix.empty() ? "xmlns" : "xmlns:" + prefix;
    if (local != "partition" || std::string(element.attribute(xmlns.c_str()).value()) !=
                                    kMetadataNamespace) {
      continue;
    }
    std::string limit = element.attribute("cpu-limit-percent").value();
    bool digits = !limit.empty() && limit.size() <= 6 &&
                  limit.find_first_not_of("0123456789") == std::string::npos;
    int percent = digits ? std::stoi(limit) : 0;
    if (percent < 1 || percent > 102400) {
      throw core::Error("the domain's CPU limit '" + limit + "' is not a number from 1 to 102400",
                        spec.path,
                        "correct or remove the partition element in the domain's <metadata> "
                        "(virsh edit)");
    }
    spec.cpu_limit_percent = percent;
  }
  return spec;
}

void RemovePartition(const std::string& partition, const CgroupHost& host) {
  std::vector<std::string> dirs = PartitionDirs(partition);
  if (Exists(host.systemd_marker)) return;
  for (const Hierarchy& h : Hierarchies(host)) {
    std::string dir = h.root + "/" + dirs.back();
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      throw core::Error(std::string("cannot remove the cgroup: ") + std::strerror(errno), dir,
                        errno == EBUSY ? "stop the World's VMs first" : kFix);
    }
  }
}

}  // namespace virt

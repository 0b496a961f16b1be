// One World cannot starve another: with real libvirt and real domains, each
// World's QEMU processes run in the World's own resource partition, every
// World's partition has the same CPU weight whatever its number of VMs, and
// destroy takes the partitions away.
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/names.h"
#include "integration/deploy_fixture.h"
#include "virt/partition.h"

namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Where the CPU controller is mounted and what its weight file is: cgroup
// v1's cpu hierarchy, or a v2 hierarchy that has the controller.
struct CpuHierarchy {
  std::string root;
  bool v2 = false;
  std::string WeightFile() const { return v2 ? "cpu.weight" : "cpu.shares"; }
};

std::optional<CpuHierarchy> FindCpuHierarchy() {
  std::ifstream in("/proc/self/mounts");
  std::optional<CpuHierarchy> v2;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string device, dir, type, options;
    fields >> device >> dir >> type >> options;
    if (type == "cgroup" && ("," + options + ",").find(",cpu,") != std::string::npos) {
      return CpuHierarchy{dir, false};
    }
    if (type == "cgroup2" && (" " + Trimmed(it::ReadFile(dir + "/cgroup.controllers")) + " ")
                                     .find(" cpu ") != std::string::npos) {
      v2 = CpuHierarchy{dir, true};
    }
  }
  return v2;
}

// The cgroup of `pid` in the CPU hierarchy, from /proc/<pid>/cgroup.
std::string CpuCgroupOf(const std::string& pid, const CpuHierarchy& cpu) {
  std::istringstream in(it::ReadFile("/proc/" + pid + "/cgroup"));
  for (std::string line; std::getline(in, line);) {
    std::string::size_type a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    bool match = cpu.v2 ? controllers == ",," : controllers.find(",cpu,") != std::string::npos;
    if (match) return line.substr(b + 1);
  }
  return "";
}

class WorldPartitionTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "cpupart"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Two students of this test's own, each with the sample lab's two VMs.
    roster_ = dir_ + "/roster.csv";
    support::WriteFile(roster_,
                       "username,full_name,group\nwcp1,Partition One,wcp\n"
                       "wcp2,Partition Two,wcp\n");
  }

  // The partition's directory in the CPU hierarchy, as libvirt names it
  // on a host without systemd (virt/partition.h).
  std::string PartitionDir(const CpuHierarchy& cpu, const std::string& owner) const {
    return cpu.root + "/" + virt::PartitionDirs(core::WorldPartition(Lab(), owner)).back();
  }
};

TEST_F(WorldPartitionTest, EachWorldsDomainsRunInItsOwnPartitionWithEqualShares) {
  std::optional<CpuHierarchy> cpu = FindCpuHierarchy();
  IT_REQUIRE(cpu.has_value(), "the cgroup cpu controller mounted (cgroup v1 or v2)");
  IT_REQUIRE(!Exists("/run/systemd/system"),
             "a host without systemd (the slices systemd makes are not checked yet)");
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;

  const std::vector<std::string> owners = {"wcp1", "wcp2"};
  for (const std::string& owner : owners) {
    it::Run start = it::Worlds(Global({"start", Lab(), "--owner", owner}));
    ASSERT_EQ(start.code, 0) << start.out << start.err;
  }

  std::map<std::string, std::string> weights;
  for (const std::string& owner : owners) {
    std::string dir = PartitionDir(*cpu, owner);
    std::string relative = dir.substr(cpu->root.size());
    for (const char* vm : it::kVms) {
      std::string domain = core::DomainName(Lab(), owner, vm);
      std::string pid = Trimmed(it::ReadFile("/run/libvirt/qemu/" + domain + ".pid"));
      ASSERT_FALSE(pid.empty()) << domain << " is not running";
      std::string cgroup = CpuCgroupOf(pid, *cpu);
      // /machine/worlds.partition/itcpupart_wcp1.partition/qemu-7-w-...libvirt-qemu/emulator
      EXPECT_EQ(cgroup.rfind(relative + "/qemu-", 0), 0u)
          << domain << " (pid " << pid << ") runs in " << cgroup << ", not under " << relative;
      EXPECT_NE(cgroup.find(domain), std::string::npos) << cgroup;
    }
    weights[owner] = Trimmed(it::ReadFile(dir + "/" + cpu->WeightFile()));
  }
  // The same weight for each World, whatever it runs: the kernel's default.
  EXPECT_EQ(weights["wcp1"], cpu->v2 ? "100" : "1024");
  EXPECT_EQ(weights["wcp2"], weights["wcp1"]);

  // Destroy powers the VMs off and leaves no partition behind.
  it::Run destroy = it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
  ASSERT_EQ(destroy.code, 0) << destroy.out << destroy.err;
  for (const std::string& owner : owners) {
    EXPECT_FALSE(Exists(PartitionDir(*cpu, owner))) << PartitionDir(*cpu, owner);
  }
}

}  // namespace

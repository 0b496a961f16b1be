// One World cannot starve another: with real libvirt and real domains, each
// World's QEMU processes run in the World's own resource partition, every
// World's partition has the same CPU weight whatever its number of VMs, the
// lab's cpu-limit holds each World's VMs together to that much CPU, and
// destroy takes the partitions away.
#include <sys/stat.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
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
  // The bandwidth limit as the kernel shows it.
  std::string Limit(const std::string& dir) const {
    if (v2) return Trimmed(it::ReadFile(dir + "/cpu.max"));
    return Trimmed(it::ReadFile(dir + "/cpu.cfs_quota_us")) + " " +
           Trimmed(it::ReadFile(dir + "/cpu.cfs_period_us"));
  }
};

// A field of a cgroup's cpu.stat (v1 and v2 both have nr_throttled).
long long CpuStat(const std::string& dir, const std::string& field) {
  std::istringstream in(it::ReadFile(dir + "/cpu.stat"));
  std::string name;
  long long value = 0;
  while (in >> name >> value) {
    if (name == field) return value;
  }
  return -1;
}

// CPU time used so far by the process `pid` (user and system), in seconds.
double ProcessCpuSeconds(const std::string& pid) {
  std::string stat = it::ReadFile("/proc/" + pid + "/stat");
  // The fields after the command name (which may hold spaces) in ")".
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  // utime and stime are fields 14 and 15 of stat(5); state is field 3.
  return (std::stod(fields.at(11)) + std::stod(fields.at(12))) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

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
    // Half a host CPU for each World, both its VMs together.
    support::WriteFile(lab_file_, it::ReadFile(lab_file_) + "cpu-limit: 0.5\n");
  }

  // The partition's directory in the CPU hierarchy, as libvirt names it
  // on a host without systemd (virt/partition.h).
  std::string PartitionDir(const CpuHierarchy& cpu, const std::string& owner) const {
    return cpu.root + "/" + virt::PartitionDirs(core::WorldPartition(Lab(), owner)).back();
  }
};

TEST_F(WorldPartitionTest, EachWorldsDomainsRunInItsOwnLimitedPartitionWithEqualShares) {
  std::optional<CpuHierarchy> cpu = FindCpuHierarchy();
  IT_REQUIRE(cpu.has_value(), "the cgroup cpu controller mounted (cgroup v1 or v2)");
  IT_REQUIRE(!Exists("/run/systemd/system"),
             "a host without systemd (the slices systemd makes are not checked yet)");
  it::Run dry = it::Worlds(Global({"deploy", lab_file_, "--roster", roster_, "--dry-run"}));
  EXPECT_NE(dry.out.find("Each World's VMs together may use at most 0.5 CPUs of the host "
                         "(cpu-limit)"),
            std::string::npos)
      << dry.out << dry.err;
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;

  const std::vector<std::string> owners = {"wcp1", "wcp2"};
  for (const std::string& owner : owners) {
    it::Run start = it::Worlds(Global({"start", Lab(), "--owner", owner}));
    ASSERT_EQ(start.code, 0) << start.out << start.err;
  }

  // While the four guests boot (TCG: each wants a whole CPU), each World's
  // two QEMU processes together get at most its half CPU: the kernel
  // throttles the partition, and their CPU time over a few seconds shows it.
  auto pids = [&](const std::string& owner) {
    std::vector<std::string> out;
    for (const char* vm : it::kVms) {
      out.push_back(Trimmed(it::ReadFile("/run/libvirt/qemu/" +
                                         core::DomainName(Lab(), owner, vm) + ".pid")));
    }
    return out;
  };
  std::map<std::string, double> before;
  for (const std::string& owner : owners) {
    for (const std::string& pid : pids(owner)) before[owner] += ProcessCpuSeconds(pid);
  }
  auto window_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  double window =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
  for (const std::string& owner : owners) {
    double used = -before[owner];
    for (const std::string& pid : pids(owner)) used += ProcessCpuSeconds(pid);
    double cpus = used / window;
    std::cout << owner << "'s World used " << cpus << " CPUs while booting (cpu-limit 0.5)\n";
    // A period's slack on each side of the window, and the tick's rounding.
    EXPECT_LE(cpus, 0.5 * 1.2) << owner;
    EXPECT_GT(CpuStat(PartitionDir(*cpu, owner), "nr_throttled"), 0) << owner;
    EXPECT_EQ(cpu->Limit(PartitionDir(*cpu, owner)), "50000 100000")
        << owner;
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

#include "virt/partition.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/error_text.h"

namespace virt {
namespace {

namespace fs = std::filesystem;

// A stand-in for /sys/fs/cgroup as this host has it: cgroup v1 with cpu,
// cpuset and memory each mounted alone, plus a v2 hierarchy, and a mount
// table naming them. A real cgroupfs makes a new group's files itself;
// here only what the code writes exists.
class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("worlds-partition-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* h : {"cpu", "cpuset", "memory", "unified", "systemd", "pids"}) {
      fs::create_directories(root_ / h);
    }
    Put("cpuset/cpuset.cpus", "0-3\n");
    Put("cpuset/cpuset.mems", "0\n");
    Put("unified/cgroup.controllers", "cpu memory pids\n");
    Put("unified/cgroup.subtree_control", "\n");
    std::string r = root_.string();
    Put("mounts",
        "proc /proc proc rw 0 0\n"
        "cgroup " + r + "/cpu cgroup rw,relatime,cpu 0 0\n"
        "cgroup " + r + "/cpuset cgroup rw,relatime,cpuset 0 0\n"
        "cgroup " + r + "/memory cgroup rw,relatime,memory 0 0\n"
        "cgroup " + r + "/systemd cgroup rw,relatime,name=systemd 0 0\n"
        "cgroup2 " + r + "/unified cgroup2 rw,relatime 0 0\n");
    host_.mounts = (root_ / "mounts").string();
    host_.systemd_marker = (root_ / "no-systemd").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  void Put(const std::string& file, const std::string& text) {
    std::ofstream(root_ / file) << text;
  }
  std::string Read(const std::string& file) {
    std::ifstream in(root_ / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool Has(const std::string& path) { return fs::exists(root_ / path); }

  fs::path root_;
  CgroupHost host_;
};

TEST(PartitionDirsTest, EachLevelBelowMachineGetsLibvirtsSuffix) {
  EXPECT_EQ(PartitionDirs("/machine/worlds/netlab_alice"),
            (std::vector<std::string>{"machine", "machine/worlds.partition",
                                      "machine/worlds.partition/netlab_alice.partition"}));
}

TEST(PartitionDirsTest, RefusesWhatWorldsNeverMakes) {
  for (const char* bad : {"", "/", "/machine", "machine/worlds", "/system/worlds",
                          "/machine/worlds/../x", "/machine/worlds/a.b", "/machine//x",
                          "/machine/Worlds", "/machine/worlds/x/"}) {
    EXPECT_THROW(PartitionDirs(bad), core::Error) << bad;
  }
  EXPECT_EQ(support::ErrorText([] { PartitionDirs("/machine/../etc"); }),
            "partition: '/machine/../etc' is not a partition Worlds makes (use "
            "core::WorldPartition: /machine/worlds/<lab>_<owner>)");
}

TEST(HookPreparesPartitionTest, OnlyBeforeAWorldsDomainStarts) {
  EXPECT_TRUE(HookPreparesPartition("w-netlab-alice-router", "prepare", "begin"));
  EXPECT_FALSE(HookPreparesPartition("w-netlab-alice-router", "start", "begin"));
  EXPECT_FALSE(HookPreparesPartition("w-netlab-alice-router", "release", "end"));
  EXPECT_FALSE(HookPreparesPartition("someone-elses-vm", "prepare", "begin"));
}

TEST(PartitionOfDomainXmlTest, ReadsTheResourcePartition) {
  PartitionSpec spec = PartitionOfDomainXml(
      "<domain><name>x</name><resource><partition>"
      "/machine/worlds/l_o</partition></resource></domain>");
  EXPECT_EQ(spec.path, "/machine/worlds/l_o");
  EXPECT_EQ(spec.cpu_limit_percent, 0);
  EXPECT_EQ(PartitionOfDomainXml("<domain><name>x</name></domain>").path, "");
  EXPECT_THROW(PartitionOfDomainXml("<network/>"), core::Error);
}

// libvirt gives the metadata back with the prefix it was defined with; the
// element is found by its namespace, and other namespaces are not ours.
TEST(PartitionOfDomainXmlTest, ReadsTheCpuLimitFromWorldsMetadataByNamespace) {
  auto xml = [](const std::string& metadata) {
    return "<domain><name>x</name><metadata>" + metadata +
           "</metadata><resource><partition>/machine/worlds/l_o</partition></resource>"
           "</domain>";
  };
  EXPECT_EQ(PartitionOfDomainXml(xml("<worlds:partition xmlns:worlds=\"urn:x-worlds:partition:1\" "
                                     "cpu-limit-percent=\"150\"/>"))
                .cpu_limit_percent,
            150);
  EXPECT_EQ(PartitionOfDomainXml(xml("<w:partition xmlns:w=\"urn:x-worlds:partition:1\" "
                                     "cpu-limit-percent=\"25\"/>"))
                .cpu_limit_percent,
            25);
  EXPECT_EQ(PartitionOfDomainXml(xml("<o:partition xmlns:o=\"http://other.example/\" "
                                     "cpu-limit-percent=\"25\"/>"))
                .cpu_limit_percent,
            0);
  for (const char* bad : {"0", "-5", "abc", "", "1.5", "102401"}) {
    EXPECT_THROW(PartitionOfDomainXml(xml(std::string("<worlds:partition xmlns:worlds="
                                                      "\"urn:x-worlds:partition:1\" "
                                                      "cpu-limit-percent=\"") +
                                          bad + "\"/>")),
                 core::Error)
        << bad;
  }
}

TEST_F(PartitionTest, MakesThePartitionInEveryHierarchyLibvirtUses) {
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  for (const char* h : {"cpu", "cpuset", "memory", "unified"}) {
    EXPECT_TRUE(Has(std::string(h) + "/machine/worlds.partition/netlab_alice.partition")) << h;
  }
  // name=systemd and pids are not libvirt's controllers.
  EXPECT_FALSE(Has("systemd/machine"));
}

TEST_F(PartitionTest, EveryWorldGetsTheSameCpuShares) {
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EnsurePartition({"/machine/worlds/netlab_bob"}, host_);
  EXPECT_EQ(Read("cpu/machine/worlds.partition/cpu.shares"), "1024\n");
  EXPECT_EQ(Read("cpu/machine/worlds.partition/netlab_alice.partition/cpu.shares"), "1024\n");
  EXPECT_EQ(Read("cpu/machine/worlds.partition/netlab_bob.partition/cpu.shares"), "1024\n");
  // /machine is libvirt's: never set by us.
  EXPECT_FALSE(Has("cpu/machine/cpu.shares"));
}

TEST_F(PartitionTest, SharesAreSetAgainWhenChanged) {
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  Put("cpu/machine/worlds.partition/netlab_alice.partition/cpu.shares", "8192\n");
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EXPECT_EQ(Read("cpu/machine/worlds.partition/netlab_alice.partition/cpu.shares"), "1024\n");
}

TEST_F(PartitionTest, TheWorldsLevelGetsItsCpuLimitAsAQuotaPerPeriod) {
  EnsurePartition({"/machine/worlds/netlab_alice", 150}, host_);
  const std::string world = "cpu/machine/worlds.partition/netlab_alice.partition/";
  EXPECT_EQ(Read(world + "cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(Read(world + "cpu.cfs_quota_us"), "150000\n");
  // The shared level is never limited: the limit is each World's.
  EXPECT_FALSE(Has("cpu/machine/worlds.partition/cpu.cfs_quota_us"));
  // A lab that drops its limit: unlimited again at the next start.
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EXPECT_EQ(Read(world + "cpu.cfs_quota_us"), "-1\n");
}

TEST_F(PartitionTest, CgroupV2LimitIsCpuMax) {
  fs::create_directories(root_ / "unified/machine/worlds.partition");
  Put("unified/machine/worlds.partition/cgroup.subtree_control", "cpu memory\n");
  const std::string world = "unified/machine/worlds.partition/netlab_alice.partition/";
  EnsurePartition({"/machine/worlds/netlab_alice", 25}, host_);
  EXPECT_EQ(Read(world + "cpu.max"), "25000 100000\n");
  EnsurePartition({"/machine/worlds/netlab_alice", 0}, host_);
  EXPECT_EQ(Read(world + "cpu.max"), "max 100000\n");
}

TEST_F(PartitionTest, CpusetLevelsGetTheirParentsCpusAndMems) {
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  for (const char* dir : {"machine", "machine/worlds.partition",
                          "machine/worlds.partition/netlab_alice.partition"}) {
    EXPECT_EQ(Read(std::string("cpuset/") + dir + "/cpuset.cpus"), "0-3\n") << dir;
    EXPECT_EQ(Read(std::string("cpuset/") + dir + "/cpuset.mems"), "0\n") << dir;
  }
}

TEST_F(PartitionTest, CpusetAlreadySetIsKept) {
  fs::create_directories(root_ / "cpuset/machine");
  Put("cpuset/machine/cpuset.cpus", "1\n");
  Put("cpuset/machine/cpuset.mems", "0\n");
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EXPECT_EQ(Read("cpuset/machine/cpuset.cpus"), "1\n");
  EXPECT_EQ(Read("cpuset/machine/worlds.partition/cpuset.cpus"), "1\n");
}

TEST_F(PartitionTest, CgroupV2EnablesControllersDownToTheWorldAndSetsItsWeight) {
  fs::create_directories(root_ / "unified/machine");
  Put("unified/machine/cgroup.controllers", "cpu memory\n");
  Put("unified/machine/cgroup.subtree_control", "\n");
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  // Every controller from the root down to the World's level.
  EXPECT_EQ(Read("unified/cgroup.subtree_control"), "+pids\n");
  EXPECT_EQ(Read("unified/machine/cgroup.subtree_control"), "+memory\n")
      << "one write per controller; the fake file keeps the last";
  EXPECT_EQ(Read("unified/machine/worlds.partition/netlab_alice.partition/cpu.weight"),
            "") << "no cpu below /machine in the fake: nothing to weigh";
}

TEST_F(PartitionTest, CgroupV2WeightWhereCpuIsEnabled) {
  fs::create_directories(root_ / "unified/machine/worlds.partition");
  Put("unified/machine/worlds.partition/cgroup.subtree_control", "cpu memory\n");
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EXPECT_EQ(Read("unified/machine/worlds.partition/netlab_alice.partition/cpu.weight"),
            "100\n");
}

TEST_F(PartitionTest, SystemdHostsAreLeftToSystemd) {
  Put("systemd-booted", "");
  host_.systemd_marker = (root_ / "systemd-booted").string();
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  EXPECT_FALSE(Has("cpu/machine"));
}

TEST_F(PartitionTest, NoCgroupsMountedIsAnErrorToActOn) {
  Put("mounts", "proc /proc proc rw 0 0\n");
  EXPECT_EQ(support::ErrorText([&] { EnsurePartition({"/machine/worlds/netlab_alice"}, host_); }),
            host_.mounts +
                ": no cgroup hierarchy is mounted (run as root on the libvirt host with the "
                "cgroup controllers mounted, or set cpu-partitions = none)");
}

TEST_F(PartitionTest, UnwritableHierarchyNamesThePath) {
  Put("mounts", "cgroup " + (root_ / "absent").string() + " cgroup rw,cpu 0 0\n");
  std::string text =
      support::ErrorText([&] { EnsurePartition({"/machine/worlds/netlab_alice"}, host_); });
  EXPECT_EQ(text.rfind((root_ / "absent/machine").string() + ": cannot create the cgroup: ", 0),
            0u)
      << text;
}

TEST_F(PartitionTest, RemoveTakesOnlyTheWorldsLevelAndAbsentIsFine) {
  Put("mounts", "cgroup " + (root_ / "memory").string() + " cgroup rw,memory 0 0\n");
  EnsurePartition({"/machine/worlds/netlab_alice"}, host_);
  RemovePartition("/machine/worlds/netlab_alice", host_);
  EXPECT_FALSE(Has("memory/machine/worlds.partition/netlab_alice.partition"));
  EXPECT_TRUE(Has("memory/machine/worlds.partition"));
  RemovePartition("/machine/worlds/netlab_alice", host_);
}

}  // namespace
}  // namespace virt

#include "hosts/placement.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace hosts {
namespace {

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

HostCapacity Host(const std::string& name, int64_t budget_mib, int cpus = 8) {
  HostCapacity host;
  host.name = name;
  host.memory_budget_mib = budget_mib;
  host.cpus = cpus;
  host.disk_free_bytes = 500 * kGiB;
  return host;
}

// A World of three 1 GiB VMs with one vCPU each and 6 GiB of overlays.
WorldDemand World(const std::string& owner, const std::string& host = "") {
  return {owner, 3072, 3, 6 * kGiB, host};
}

std::map<std::string, int> Counts(const Placement& placement) {
  std::map<std::string, int> counts;
  for (const std::string& host : placement.host_of) ++counts[host];
  return counts;
}

TEST(PlaceTest, SpreadsNewWorldsByMemoryHeadroom) {
  std::vector<WorldDemand> worlds;
  for (const char* owner : {"a", "b", "c", "d", "e", "f"}) worlds.push_back(World(owner));
  Placement p = Place({Host("lab1", 20480), Host("lab2", 20480)}, worlds, 100);
  ASSERT_TRUE(p.ok()) << p.refused.front();
  // Equal hosts: the first takes a World, then the emptier one, in turn.
  EXPECT_EQ(p.host_of, (std::vector<std::string>{"lab1", "lab2", "lab1", "lab2", "lab1", "lab2"}));
  EXPECT_EQ(p.hosts[0].worlds, 3);
  EXPECT_EQ(p.hosts[0].new_worlds, 3);
  EXPECT_EQ(p.hosts[0].memory_mib, 3 * 3072);
  EXPECT_EQ(p.hosts[0].disk_bytes, 18 * kGiB);
}

TEST(PlaceTest, HeadroomIsAShareOfEachHostsBudgetCountingWhatRunsThere) {
  HostCapacity big = Host("big", 40960);
  HostCapacity busy = Host("busy", 20480);
  busy.memory_others_mib = 10240;  // half its budget runs other domains
  std::vector<WorldDemand> worlds;
  for (int i = 0; i < 10; ++i) worlds.push_back(World("s" + std::to_string(i)));
  Placement p = Place({busy, big}, worlds, 100);
  ASSERT_TRUE(p.ok());
  // A World on busy would leave it 35% free ((20480-10240-3072)/20480), so
  // big takes Worlds while it stays above that: eight (to 40%), then busy
  // one, then big again (big at 32.5% beats busy's 20%).
  EXPECT_EQ(p.host_of[7], "big");
  EXPECT_EQ(p.host_of[8], "busy");
  EXPECT_EQ(p.host_of[9], "big");
  std::map<std::string, int> counts = Counts(p);
  EXPECT_EQ(counts["big"], 9);
  EXPECT_EQ(counts["busy"], 1);
}

TEST(PlaceTest, KeepsPlacedWorldsWhereTheyAreEvenOnAFullOrDrainingHost) {
  HostCapacity full = Host("full", 6144);
  full.draining = true;
  std::vector<WorldDemand> worlds = {World("a", "full"), World("b", "full"), World("c")};
  Placement p = Place({full, Host("other", 20480)}, worlds, 100);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.host_of, (std::vector<std::string>{"full", "full", "other"}));
  EXPECT_EQ(p.hosts[0].worlds, 2);
  EXPECT_EQ(p.hosts[0].new_worlds, 0);
  EXPECT_EQ(p.hosts[0].memory_mib, 6144);
}

TEST(PlaceTest, NeverPlacesOnADrainingOrUnreachableHost) {
  HostCapacity draining = Host("draining", 81920);
  draining.draining = true;
  HostCapacity down = Host("down", 81920);
  down.unreachable = "Cannot recv data: Connection reset by peer";
  Placement p = Place({draining, down, Host("small", 6144)}, {World("a"), World("b"), World("c")},
                      100);
  EXPECT_EQ(p.host_of, (std::vector<std::string>{"small", "small", ""}));
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_EQ(p.refused[0],
            "the World of 'c' (3072 MiB of memory, 6144 MiB of disk) fits no host: draining: "
            "draining; down: unreachable (Cannot recv data: Connection reset by "
            "peer); small: 0 MiB of memory left, 3072 MiB needed");
}

TEST(PlaceTest, ExpectedRunningCountsThatManyOfTheLargestWorldsAsTheOneHostCheckDoes) {
  // 50% expected: n Worlds count as ceil(n/2) running, so 20480 MiB holds
  // 12 Worlds of 3072 MiB (6 running), not 13 (7 running: 21504 MiB).
  std::vector<WorldDemand> worlds;
  for (int i = 0; i < 14; ++i) worlds.push_back(World("s" + std::to_string(i)));
  Placement p = Place({Host("lab1", 20480)}, worlds, 50);
  EXPECT_EQ(Counts(p)["lab1"], 12);
  EXPECT_EQ(p.hosts[0].memory_mib, 6 * 3072);
  EXPECT_EQ(p.hosts[0].vcpus, 6 * 3);
  ASSERT_EQ(p.refused.size(), 2u);
  EXPECT_EQ(p.refused[0],
            "the World of 's12' (3072 MiB of memory, 6144 MiB of disk) fits no host: lab1: "
            "2048 MiB of memory left, 3072 MiB needed");
  // One World counts whole, however small the share.
  p = Place({Host("lab1", 2048)}, {World("a")}, 1);
  EXPECT_EQ(p.refused.size(), 1u);
}

TEST(PlaceTest, ExpectedRunningCountsTheLargestWorldsWhenTheyDiffer) {
  auto sized = [](const std::string& owner, int64_t mib) {
    return WorldDemand{owner, mib, 1, kGiB, ""};
  };
  // At 50%: a, b (4096) -> 1 counted; + c -> 2: 4096 + 1024; + d -> 2;
  // + e (2048) -> 3: 4096 + 2048 + 1024 = 7168, over 6000.
  Placement p = Place({Host("lab1", 6000)},
                      {sized("a", 4096), sized("b", 1024), sized("c", 1024), sized("d", 1024),
                       sized("e", 2048)},
                      50);
  EXPECT_EQ(p.host_of, (std::vector<std::string>{"lab1", "lab1", "lab1", "lab1", ""}));
  EXPECT_EQ(p.hosts[0].memory_mib, 5120);
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_NE(p.refused[0].find("lab1: 880 MiB of memory left, 2048 MiB needed"),
            std::string::npos)
      << p.refused[0];
}

TEST(PlaceTest, DiskIsARefusalOnlyWhereItsFreeSpaceIsKnown) {
  HostCapacity tight = Host("tight", 81920);
  tight.disk_free_bytes = 10 * kGiB;  // one World's 6 GiB, not two
  HostCapacity unknown = Host("unknown", 20480);
  unknown.disk_free_bytes.reset();
  Placement p = Place({tight, unknown}, {World("a"), World("b"), World("c"), World("d")}, 100);
  ASSERT_TRUE(p.ok());
  // tight has far more memory headroom but room for one World's disk.
  EXPECT_EQ(Counts(p)["tight"], 1);
  EXPECT_EQ(Counts(p)["unknown"], 3);

  tight.disk_free_bytes = 4 * kGiB;
  p = Place({tight}, {World("a")}, 100);
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_NE(p.refused[0].find("tight: 4096 MiB of disk left, 6144 MiB needed"), std::string::npos)
      << p.refused[0];
}

TEST(PlaceTest, AWorldOnAHostTheInventoryLostIsRefusedNotMoved) {
  Placement p = Place({Host("lab1", 20480)}, {World("a", "gone"), World("b")}, 100);
  EXPECT_EQ(p.host_of, (std::vector<std::string>{"", "lab1"}));
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_EQ(p.refused[0],
            "the World of 'a' lives on host 'gone', which is not in the inventory: add it back "
            "(worlds host add) or destroy that World");
}

TEST(PlaceTest, NoHostRefusesEveryWorld) {
  Placement p = Place({}, {World("a")}, 100);
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_NE(p.refused[0].find("fits no host: the inventory has no host"), std::string::npos);
}

TEST(PlaceTest, MoreVcpusThanCpusIsAWarningNotARefusal) {
  Placement p = Place({Host("lab1", 20480, 4)}, {World("a"), World("b")}, 100);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0],
            "lab1: 6 vCPUs on 4 CPUs (1.5×) at expected-running; vCPUs are time-shared, so "
            "the guests run slower when all are busy");
}

TEST(DescribePlacementTest, OneLinePerHostThenRefusals) {
  HostCapacity lab1 = Host("lab1", 20480, 4);
  lab1.memory_others_mib = 1024;
  HostCapacity lab2 = Host("lab2", 20480, 4);
  lab2.draining = true;
  lab2.disk_free_bytes.reset();
  HostCapacity lab3 = Host("lab3", 0);
  lab3.unreachable = "ssh: connect to host lab3 port 22: No route to host";
  std::vector<HostCapacity> hosts = {lab1, lab2, lab3};
  Placement p = Place(hosts, {World("a"), World("b", "lab3")}, 100);
  EXPECT_EQ(DescribePlacement(hosts, p, {"a", "b"}),
            "Placement (a World lives whole on one host):\n"
            "  lab1: 1 World(s) (1 new), memory 4096 MiB of 20480 MiB, vCPUs 3 on 4 CPUs, disk "
            "6144 MiB of 500.0 GiB free\n"
            "    a\n"
            "  lab2: 0 World(s), memory 0 MiB of 20480 MiB, vCPUs 0 on 4 CPUs, disk 0.0 MiB "
            "(free space not known); draining: no new World\n"
            "  lab3: unreachable (ssh: connect to host lab3 port 22: No route to host); 1 "
            "World(s) of this lab live there\n"
            "    b\n");
}

TEST(DemandOfTest, SumsTheVmsAndTheirGrowthAsTheCapacityCheckCountsIt) {
  capacity::PlanPolicy policy;  // overlay-growth 25% of the base's virtual size
  std::vector<capacity::VmDemand> vms = {{"w-lab-a-router", 512, 1, 8 * kGiB, 0},
                                         {"w-lab-a-web", 1024, 2, 8 * kGiB, 3 * kGiB}};
  WorldDemand world = DemandOf("a", vms, policy, "lab2");
  EXPECT_EQ(world.owner, "a");
  EXPECT_EQ(world.host, "lab2");
  EXPECT_EQ(world.memory_mib, 1536);
  EXPECT_EQ(world.vcpus, 3);
  // 2 GiB for the new overlay; the other holds more than its 2 GiB already.
  EXPECT_EQ(world.disk_bytes, 2 * kGiB);
  policy.growth_mib = 4096;
  EXPECT_EQ(DemandOf("a", vms, policy, "").disk_bytes, 4 * kGiB + 1 * kGiB);
}

// The bound: 1,000 Worlds over 10 hosts in well under a second
// (tools/bench-placement prints the figure; this only keeps it linear).
TEST(PlaceTest, AThousandWorldsOverTenHostsArePlacedEvenly) {
  std::vector<HostCapacity> hosts;
  for (int h = 0; h < 10; ++h) {
    hosts.push_back(Host("lab" + std::to_string(h), 400 * 1024, 64));
    hosts.back().disk_free_bytes = 1024 * kGiB;
  }
  std::vector<WorldDemand> worlds;
  for (int i = 0; i < 1000; ++i) worlds.push_back(World("s" + std::to_string(i)));
  Placement p = Place(hosts, worlds, 100);
  ASSERT_TRUE(p.ok());
  for (const HostLoad& load : p.hosts) EXPECT_EQ(load.worlds, 100) << load.name;
}

}  // namespace
}  // namespace hosts

// The capacity table of `worlds deploy --dry-run` against the real host:
// RAM as libvirt's memory stats tell it (`virsh nodememstats`: MemTotal),
// CPUs as its node info does (`virsh nodeinfo`), the
// state dir's free space as statvfs tells it, and a deploy that does not
// fit refused before anything is made. No VM boots: seconds.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cmath>
#include <iostream>
#include <regex>

#include "integration/deploy_fixture.h"
#include "process/process.h"
#include "support/roster.h"

namespace {

class CapacityTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "capacity"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Two Worlds of the sample lab (router and client, 256 MiB and 1 vCPU
    // each): 1024 MiB and 4 vCPUs when all run.
    roster_ = support::WriteRoster(dir_ + "/roster.csv", {{"wcap1", "Cap One", "lab-a"},
                                                          {"wcap2", "Cap Two", "lab-b"}});
  }

  // `worlds deploy` with settings from the environment, as an instructor's
  // worlds.conf would give them.
  it::Run DeployWith(const process::EnvChanges& env, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {WORLDS_BINARY};
    std::vector<std::string> args = Global({"deploy", lab_file_, "--roster", roster_});
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    process::RunOptions options;
    options.env = env;
    process::Result result = process::Run(argv, options);
    return {result.exit_code, result.out, result.err};
  }

  // The first group of `pattern` in `text`, or "" when it is not there.
  static std::string Find(const std::string& text, const std::string& pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
  }
};

TEST_F(CapacityTest, DryRunTableShowsTheHostAsLibvirtAndStatvfsSeeIt) {
  // Defaults, whatever the host's worlds.conf or the environment says.
  it::Run plan = DeployWith({{"WORLDS_CONFIG", "/dev/null"},
                             {"WORLDS_MEMORY_BUDGET", std::nullopt},
                             {"WORLDS_MEMORY_OVERCOMMIT", std::nullopt},
                             {"WORLDS_EXPECTED_RUNNING", std::nullopt},
                             {"WORLDS_CAPACITY_CHECK", std::nullopt},
                             {"WORLDS_OVERLAY_GROWTH", std::nullopt}},
                            {"--dry-run"});
  ASSERT_EQ(plan.code, 0) << plan.out << plan.err;
  std::cout << plan.out.substr(plan.out.find("Capacity (")) << std::flush;

  it::Run node = it::Exec({"virsh", "-c", "qemu:///system", "nodeinfo"});
  ASSERT_EQ(node.code, 0) << node.err;
  // The machine's RAM: the memory stats of all cells (MemTotal), not node
  // info's "Memory size", which is NUMA node 0's on some hosts.
  it::Run stats = it::Exec({"virsh", "-c", "qemu:///system", "nodememstats"});
  ASSERT_EQ(stats.code, 0) << stats.err;
  int64_t ram_mib = std::stoll(Find(stats.out, "total +: +([0-9]+) KiB")) / 1024;
  std::string cpus = Find(node.out, "CPU\\(s\\): +([0-9]+)");

  EXPECT_NE(plan.out.find("Capacity (2 World(s), 4 VM(s); expected-running 100% = 2 World(s); "
                          "capacity-check refuse):\n"),
            std::string::npos)
      << plan.out;
  // Memory: the budget is 90% of the host's RAM; the lab 4 × 256 MiB.
  EXPECT_NE(plan.out.find("  memory budget: 90% of " + std::to_string(ram_mib) +
                          " MiB RAM × overcommit 1 = " +
                          std::to_string(static_cast<int64_t>(std::floor(ram_mib * 0.9))) +
                          " MiB\n"),
            std::string::npos)
      << plan.out << node.out;
  EXPECT_NE(plan.out.find("  memory, all 2 World(s) running  1024 MiB"), std::string::npos)
      << plan.out;
  // CPUs as libvirt counts them, beside the lab's 4 vCPUs.
  EXPECT_EQ(Find(plan.out, "vCPUs, 2 World\\(s\\) running +4 .* ([0-9]+) CPUs"), cpus)
      << plan.out;
  // The whole machine's RAM, as the kernel counts it.
  int64_t meminfo_kib = std::stoll(Find(it::ReadFile("/proc/meminfo"), "MemTotal: +([0-9]+) kB"));
  EXPECT_EQ(ram_mib, meminfo_kib / 1024);

  // Disk: the base as it occupies the host, no overlays yet; 25% of the
  // tiny image's virtual size per VM; free space where the state dir will be.
  struct stat base;
  ASSERT_EQ(::stat((image_dir_ + "/tiny.qcow2").c_str(), &base), 0);
  char base_mib[32];
  std::snprintf(base_mib, sizeof base_mib, "%.1f MiB", base.st_blocks * 512 / 1048576.0);
  EXPECT_NE(plan.out.find("  disk now: bases + overlays      " + std::string(base_mib) + "\n"),
            std::string::npos)
      << plan.out;
  it::Run info = it::Exec({"qemu-img", "info", "--output=json", "-U", image_dir_ + "/tiny.qcow2"});
  ASSERT_EQ(info.code, 0) << info.err;
  double growth_mib =
      4 * nlohmann::json::parse(info.out)["virtual-size"].get<double>() * 0.25 / 1048576;
  EXPECT_EQ(Find(plan.out, "overlay growth budget +([0-9.]+) MiB"),
            std::to_string(static_cast<int>(std::lround(growth_mib))))
      << plan.out;
  struct statvfs fs;
  ASSERT_EQ(::statvfs(dir_.c_str(), &fs), 0);
  double free_gib = static_cast<double>(fs.f_bavail) * fs.f_frsize / (1024.0 * 1024 * 1024);
  std::string shown = Find(plan.out, "overlay growth budget .* ([0-9.]+) GiB free +fits");
  ASSERT_FALSE(shown.empty()) << plan.out;
  // Other tests write to the same disk meanwhile.
  EXPECT_NEAR(std::stod(shown), free_gib, 1.0) << plan.out;
  EXPECT_NE(plan.out.find("Dry run: nothing was changed.\n"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state_dir_));
}

TEST_F(CapacityTest, DeployThatDoesNotFitIsRefusedBeforeAnythingIsMade) {
  // A budget of 512 MiB for a lab of 1024 MiB.
  it::Run run = DeployWith({{"WORLDS_CONFIG", "/dev/null"},
                            {"WORLDS_MEMORY_BUDGET", "512"},
                            {"WORLDS_MEMORY_OVERCOMMIT", std::nullopt},
                            {"WORLDS_EXPECTED_RUNNING", std::nullopt},
                            {"WORLDS_CAPACITY_CHECK", std::nullopt}});
  EXPECT_EQ(run.code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("lab " + Lab() + ": the lab does not fit this host (capacity-check = "
                         "refuse), nothing was changed: memory: 2 of 2 World(s) running "
                         "(expected-running 100%) need 1024 MiB"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("refused: memory:"), std::string::npos) << run.out;
  EXPECT_TRUE(Domains().empty());
  EXPECT_FALSE(std::filesystem::exists(state_dir_));
}

}  // namespace

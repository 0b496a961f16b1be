// The capacity check of a deploy (deploy/capacity_check.h) through the
// whole flow with fakes: `--dry-run` prints the table, a deploy that does
// not fit is refused before anything exists (or only warned about), and the
// summary sums it up. The fake host's RAM, CPUs and free space are set per
// test. With an inventory of lab hosts, the dry run places the Worlds
// instead (deploy/placement_plan.h).
#include "deploy/capacity_check.h"
#include "deploy/status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/names.h"
#include "deploy/lock.h"
#include "deploy/move.h"
#include "deploy/operations.h"
#include "deploy/placement_plan.h"
#include "fakes/fake_disks.h"
#include "fakes/fake_env.h"
#include "fakes/shared_fakes.h"
#include "image/overlay.h"
#include "store/store.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

namespace fs = std::filesystem;

// Two VMs of 256 MiB and 1 vCPU per World.
constexpr const char* kLab = R"(lab: caplab
images:
  - name: tiny
    file: tiny.qcow2
    format: qcow2
    kernel: tiny.vmlinuz
    initrd: tiny.initrd
    cmdline: "root=/dev/vda rw console=ttyS0 quiet"
networks:
  - name: lan
    cidr: 10.10.0.0/24
vms:
  - name: router
    image: tiny
    memory: 256M
    vcpus: 1
    nics:
      - network: lan
        ip: 10.10.0.1
  - name: client
    image: tiny
    memory: 256M
    vcpus: 1
    nics:
      - network: lan
        ip: 10.10.0.10
)";

// Four Worlds: 2048 MiB and 8 vCPUs when every VM runs.
constexpr const char* kRoster =
    "username,full_name,group\n"
    "cap1,Cap One,a\n"
    "cap2,Cap Two,a\n"
    "cap3,Cap Three,b\n"
    "cap4,Cap Four,b\n";

class CapacityCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    context_.state_dir = dir_ + "/state";
    context_.image_dir = dir_ + "/images";
    context_.jobs = 1;
    context_.uid = 0;
    context_.actor = "instructor";
    fs::create_directories(context_.image_dir);
    for (const char* file : {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd"}) {
      std::ofstream(context_.image_dir + "/" + file) << "tiny " << file;
    }
    std::ofstream(dir_ + "/caplab.yaml") << kLab;
    std::ofstream(dir_ + "/roster.csv") << kRoster;
    request_.lab_file = dir_ + "/caplab.yaml";
    request_.roster_file = dir_ + "/roster.csv";
    // 10000 MiB RAM: a budget of 9000 MiB; 16 CPUs; 128 MiB virtual per
    // base: 32 MiB of growth per VM (25%), 256 MiB for the lab.
    fake_.hypervisor.host = virt::HostInfo{10000, 10000, 16};
  }

  std::string Run(bool dry_run) {
    request_.dry_run = dry_run;
    std::ostringstream out;
    last_ok_ = Deploy(context_, fake_.env, request_, out);
    return out.str();
  }

  // Another lab's VM, running.
  void OtherRunning(const std::string& name, int mib, int vcpus) {
    fakes::FakeHypervisor::Domain dom;
    dom.spec.name = name;
    dom.spec.memory_mib = mib;
    dom.spec.vcpus = vcpus;
    dom.state = virt::DomainState::kRunning;
    fake_.hypervisor.domains[name] = dom;
  }

  support::TempDir temp_{"worlds-capacity-"};
  std::string dir_;
  Context context_;
  DeployRequest request_;
  fakes::FakeEnv fake_;
  bool last_ok_ = false;
};

TEST_F(CapacityCheckTest, DryRunPrintsTheTableAfterThePlan) {
  OtherRunning("other-vm", 1000, 2);
  std::string text = Run(true);
  EXPECT_TRUE(last_ok_);
  size_t plan = text.find("Plan for lab 'caplab'");
  size_t table = text.find("Capacity (4 World(s), 8 VM(s); expected-running 100% = 4 World(s); "
                           "capacity-check refuse):\n");
  ASSERT_NE(plan, std::string::npos) << text;
  ASSERT_NE(table, std::string::npos) << text;
  EXPECT_LT(plan, table);
  EXPECT_NE(text.find("  memory, all 4 World(s) running  2048 MiB  1000 MiB (1 running)  "
                      "3048 MiB  budget 9000 MiB  fits\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  vCPUs, 4 World(s) running       8         2                     "
                      "10        16 CPUs          0.6×\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  overlay growth budget           256 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("1024.0 GiB free  fits\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  memory budget: 90% of 10000 MiB RAM × overcommit 1 = 9000 MiB\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  overlay growth: 25% of the base's virtual size, less what each "
                      "overlay holds now; free: " + context_.state_dir + "\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
  EXPECT_NE(text.find("Dry run: nothing was changed.\n"), std::string::npos);
  EXPECT_FALSE(fs::exists(context_.state_dir));
}

// 2048 MiB of guests on a 2000 MiB host (budget 1800): refused with every
// figure and the fix, before a state dir, a domain or a network exists.
TEST_F(CapacityCheckTest, TooBigIsRefusedBeforeAnythingIsMade) {
  fake_.hypervisor.host = virt::HostInfo{2000, 2000, 16};
  std::string dry = Run(true);
  EXPECT_NE(dry.find("refused: memory: 4 of 4 World(s) running (expected-running 100%) need "
                     "2048 MiB, other domains hold 0 MiB: 2048 MiB of a budget of 1800 MiB, "
                     "short by 248 MiB"),
            std::string::npos)
      << dry;
  EXPECT_NE(dry.find("A deploy would be refused (capacity-check = refuse): deploy fewer "
                     "Worlds"),
            std::string::npos)
      << dry;

  std::string error = support::ErrorText([&] { Run(false); });
  EXPECT_EQ(error,
            "lab caplab: the lab does not fit this host (capacity-check = refuse), nothing was "
            "changed: memory: 4 of 4 World(s) running (expected-running 100%) need 2048 MiB, "
            "other domains hold 0 MiB: 2048 MiB of a budget of 1800 MiB, short by 248 MiB (90% "
            "of 2000 MiB RAM × overcommit 1 = 1800 MiB) (" + capacity::RefusalFix() + ")");
  EXPECT_FALSE(fs::exists(context_.state_dir));
  EXPECT_TRUE(fake_.hypervisor.domains.empty());
  EXPECT_TRUE(fake_.hypervisor.networks.empty());
}

TEST_F(CapacityCheckTest, FitsAtHalfTheWorldsRunning) {
  fake_.hypervisor.host = virt::HostInfo{2000, 2000, 16};
  ASSERT_EQ(capacity::ParseExpectedRunning("50%", &context_.capacity), "");
  std::string dry = Run(true);
  EXPECT_NE(dry.find("expected-running 50% = 2 World(s)"), std::string::npos) << dry;
  EXPECT_NE(dry.find("  memory, 2 running (expected)    1024 MiB"), std::string::npos) << dry;
  EXPECT_NE(dry.find("over by 248 MiB\n"), std::string::npos) << dry;  // all running: a note
  EXPECT_EQ(dry.find("refused"), std::string::npos) << dry;
  std::string text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_EQ(fake_.hypervisor.domains.size(), 8u);
}

TEST_F(CapacityCheckTest, WarnDeploysAnyway) {
  fake_.hypervisor.host = virt::HostInfo{2000, 2000, 16};
  context_.capacity.refuse = false;
  std::string text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("warning: memory: 4 of 4 World(s) running (expected-running 100%) need "
                      "2048 MiB"),
            std::string::npos)
      << text;
  EXPECT_LT(text.find("warning: memory"), text.find("Deploying lab 'caplab'")) << text;
  EXPECT_EQ(fake_.hypervisor.domains.size(), 8u);
}

TEST_F(CapacityCheckTest, TooLittleDiskIsRefused) {
  fake_.disks->free_bytes = 100ull << 20;  // 100 MiB for 256 MiB of growth
  std::string error = support::ErrorText([&] { Run(false); });
  EXPECT_NE(error.find("disk: the overlays may grow by 256 MiB (overlay-growth 25% of the "
                       "base's virtual size), " + context_.state_dir +
                       " has 100 MiB free, short by 156 MiB"),
            std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(context_.state_dir));
}

TEST_F(CapacityCheckTest, MoreVcpusThanCpusOnlyWarns) {
  fake_.hypervisor.host = virt::HostInfo{10000, 10000, 4};
  std::string text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("warning: vCPUs: 4 of 4 World(s) running (expected-running 100%) have 8, "
                      "other domains 0: 8 on 4 host CPUs (2.0×); vCPUs are time-shared"),
            std::string::npos)
      << text;
}

// A second deploy of the same lab while its VMs run: they are the lab's,
// counted once (2048 MiB), not also as "other domains" (4096 MiB would
// exceed the 2700 MiB budget).
TEST_F(CapacityCheckTest, DeployedWorldsCountOnce) {
  fake_.hypervisor.host = virt::HostInfo{3000, 3000, 16};
  Run(false);
  ASSERT_TRUE(last_ok_);
  for (auto& [name, dom] : fake_.hypervisor.domains) dom.state = virt::DomainState::kRunning;
  OtherRunning("other-vm", 500, 1);
  std::string dry = Run(true);
  EXPECT_NE(dry.find("  memory, all 4 World(s) running  2048 MiB  500 MiB (1 running)  2548 MiB  "
                     "budget 2700 MiB  fits\n"),
            std::string::npos)
      << dry;
  std::string text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
}

// A dry run without libvirt still shows the lab's side and the disk.
TEST_F(CapacityCheckTest, DryRunWithoutLibvirtShowsTheLabOnly) {
  fake_.env.hypervisor = []() -> std::unique_ptr<virt::Hypervisor> {
    throw core::Error("cannot connect to the hypervisor", "qemu:///system");
  };
  std::string text = Run(true);
  EXPECT_TRUE(last_ok_);
  EXPECT_NE(text.find("note: libvirt not reachable, planning from scratch"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  memory, all 4 World(s) running  2048 MiB  0 MiB (0 running)  2048 MiB  "
                      "host not read\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("overlay growth budget           256 MiB"), std::string::npos) << text;
}

TEST_F(CapacityCheckTest, SummaryHasTheShortForm) {
  std::string text = Run(false);
  ASSERT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("  capacity: memory 2048 MiB of 9000 MiB budget with 4 of 4 World(s) "
                      "running, vCPUs 0.5× the host's 16; overlays "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" free\n"), std::string::npos) << text;
}

// Where a deploy's Worlds would go with an inventory of lab hosts
// (deploy/placement_plan.h), through the same dry-run flow: one fake libvirt
// per host URI, and the inventory in a real state database.
class PlacementPlanTest : public CapacityCheckTest {
 protected:
  void SetUp() override {
    CapacityCheckTest::SetUp();
    // lab1: budget 90% of 2000 MiB = 1800 MiB; lab2: 4000 -> 3600 MiB,
    // 2500 of it held by another lab's VM.
    hosts_["qemu+ssh://root@lab1/system"].host = virt::HostInfo{2000, 2000, 4};
    hosts_["qemu+ssh://root@lab2/system"].host = virt::HostInfo{4000, 4000, 8};
    fakes::FakeHypervisor::Domain other;
    other.spec.name = "other-vm";
    other.spec.memory_mib = 2500;
    other.spec.vcpus = 2;
    other.state = virt::DomainState::kRunning;
    hosts_["qemu+ssh://root@lab2/system"].domains["other-vm"] = other;
    fake_.env.connect_host = [this](const std::string& uri) -> std::unique_ptr<virt::Hypervisor> {
      auto found = hosts_.find(uri);
      if (found == hosts_.end() || down_.count(uri)) {
        throw core::Error("Cannot recv data: Connection reset", uri);
      }
      return std::make_unique<fakes::SharedHypervisor>(found->second, mu_);
    };
    // A worker on a lab host connects to that host's libvirt.
    fake_.workers.by_connect = fake_.env.connect_host;
    for (auto& [uri, host] : hosts_) fake_.disks->Attach(host);
  }

  void AddHost(const std::string& name, const std::string& uri) {
    fs::create_directories(context_.state_dir);
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    store::HostRecord host;
    host.name = name;
    host.uri = uri;
    host.storage_dir = dir_ + "/" + name;
    store->AddHost(host);
  }

  fakes::FakeHypervisor& lab2() { return hosts_["qemu+ssh://root@lab2/system"]; }
  fakes::FakeHypervisor& lab4() { return hosts_["qemu+ssh://root@lab4/system"]; }

  std::map<std::string, fakes::FakeHypervisor> hosts_;
  std::set<std::string> down_;  // URIs of hosts that do not answer
  std::mutex mu_;
};

TEST_F(PlacementPlanTest, DryRunShowsWhereEachWorldGoesAndEachHostsRoom) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  AddHost("lab3", "qemu+ssh://root@lab3/system");  // no fake: unreachable
  std::string text = Run(true);
  // lab1 has 1800 MiB free, lab2 1100 (3600 - 2500): each World (512 MiB)
  // goes where the most headroom is left: lab1, lab1, lab2, lab1.
  EXPECT_NE(text.find("Placement (a World lives whole on one host):\n"
                      "  lab1: 3 World(s) (3 new), memory 1536 MiB of 1800 MiB, vCPUs 6 on 4 "
                      "CPUs, disk 192 MiB of 1024.0 GiB free\n"
                      "    cap1 cap2 cap4\n"
                      "  lab2: 1 World(s) (1 new), memory 3012 MiB of 3600 MiB, vCPUs 4 on 8 "
                      "CPUs, disk 64.0 MiB of 1024.0 GiB free\n"
                      "    cap3\n"
                      "  lab3: unreachable (qemu+ssh://root@lab3/system: Cannot recv data: "
                      "Connection reset)\n"
                      "warning: lab1: 6 vCPUs on 4 CPUs (1.5×) at expected-running; vCPUs are "
                      "time-shared, so the guests run slower when all are busy\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Dry run: nothing was changed.\n"), std::string::npos);
  EXPECT_EQ(text.find("Capacity ("), std::string::npos) << "no one-host table: " << text;
}

TEST_F(PlacementPlanTest, AWorldThatFitsNoHostIsShownRefused) {
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  std::string text = Run(true);
  // 1100 MiB free on lab2: two Worlds of 512 MiB, not four.
  EXPECT_NE(text.find("refused: the World of 'cap3' (512 MiB of memory, 64.0 MiB of disk) fits "
                      "no host: lab2: 76 MiB of memory left, 512 MiB needed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("A deploy would be refused: a World that fits no host is not placed.\n"),
            std::string::npos);
}

// A deploy with an inventory builds each World on the host placement gave
// it: its domains in that host's libvirt, its overlays under that host's
// storage dir, its host recorded; a re-run finds everything in place.
TEST_F(PlacementPlanTest, ADeployBuildsEachWorldOnItsHostAndARerunConverges) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  std::string text = Run(false);
  ASSERT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("  lab host lab1: 3 World(s)\n  lab host lab2: 1 World(s)\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(fake_.hypervisor.domains.empty()) << "nothing on the connect host";
  const std::map<std::string, std::string> expected = {
      {"cap1", "lab1"}, {"cap2", "lab1"}, {"cap3", "lab2"}, {"cap4", "lab1"}};
  std::unique_ptr<store::Store> store = store::Store::Open(core::StateDbPath(context_.state_dir));
  for (const store::WorldRecord& world : store->Worlds("caplab", std::nullopt)) {
    const std::string& host = expected.at(world.owner);
    EXPECT_EQ(world.host, host) << world.owner;
    fakes::FakeHypervisor& there = hosts_["qemu+ssh://root@" + host + "/system"];
    for (const char* vm : {"router", "client"}) {
      std::string domain = core::DomainName("caplab", world.owner, vm);
      ASSERT_EQ(there.domains.count(domain), 1u) << domain << " on " << host;
      EXPECT_EQ(there.domains[domain].spec.disk_path,
                core::OverlayPath(dir_ + "/" + host, "caplab", world.owner, vm));
      EXPECT_TRUE(fs::exists(there.domains[domain].spec.disk_path));
    }
  }
  text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("Nothing to do: 4 World(s), 8 VM(s) already deployed"), std::string::npos)
      << text;
}

// A host that cannot be reached fails its own Worlds with its reason, and
// changes nothing there; the other hosts' Worlds are deployed, and a
// re-run converges once it is back.
TEST_F(PlacementPlanTest, AHostThatIsDownFailsOnlyItsWorlds) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  ASSERT_TRUE((Run(false), last_ok_));
  down_.insert("qemu+ssh://root@lab2/system");
  for (auto& [name, dom] : hosts_["qemu+ssh://root@lab1/system"].domains) {
    fake_.disks->Remove(dom.spec.disk_path);  // lab1's Worlds need building again
  }
  hosts_["qemu+ssh://root@lab1/system"].domains.clear();
  std::string text = Run(false);
  EXPECT_FALSE(last_ok_) << text;
  EXPECT_NE(text.find("6 built now, 0 already up to date, 2 failed"), std::string::npos) << text;
  EXPECT_NE(text.find("FAILED w-caplab-cap3-router (plan): lab host 'lab2' cannot be used now: "
                      "qemu+ssh://root@lab2/system: Cannot recv data: Connection reset"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  lab host lab2: 1 World(s), not reached: "), std::string::npos) << text;

  down_.clear();
  text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("Nothing to do"), std::string::npos) << text;
}


// Status asks each World's host about its VMs; a host that cannot be
// reached shows its VMs unreachable, with why, and the others as they are.
TEST_F(PlacementPlanTest, StatusAsksEachWorldsHost) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  ASSERT_TRUE((Run(false), last_ok_));
  StatusReport report = Status(context_, fake_.env, {});
  ASSERT_EQ(report.vms.size(), 8u);
  for (const VmStatus& vm : report.vms) {
    EXPECT_EQ(vm.host, vm.owner == "cap3" ? "lab2" : "lab1") << vm.domain;
    EXPECT_EQ(vm.phase, "ready") << vm.domain;
    EXPECT_EQ(vm.state, "shut off") << vm.domain;
  }
  down_.insert("qemu+ssh://root@lab2/system");
  report = Status(context_, fake_.env, {});
  ASSERT_EQ(report.vms.size(), 8u);
  for (const VmStatus& vm : report.vms) {
    EXPECT_EQ(vm.state, vm.owner == "cap3" ? "unreachable" : "shut off") << vm.domain;
  }
  EXPECT_EQ(report.unreachable_hosts.count("lab2"), 1u);
  EXPECT_NE(report.unreachable_hosts["lab2"].find("lab host 'lab2' cannot be reached"),
            std::string::npos);
}


// Destroy removes each World on its own host; a host that cannot be
// reached keeps its Worlds (and says so), the others go.
TEST_F(PlacementPlanTest, DestroyRemovesEachWorldOnItsHost) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  ASSERT_TRUE((Run(false), last_ok_));
  down_.insert("qemu+ssh://root@lab2/system");
  std::ostringstream out;
  DestroyRequest destroy{request_.lab_file, std::nullopt, /*delete_student_data=*/true};
  try {
    Destroy(context_, fake_.env, destroy, out);
    FAIL() << "expected core::Error: lab2 is down";
  } catch (const core::Error& e) {
    EXPECT_NE(e.message().find("not destroyed, their host cannot be reached: 1 World(s) on lab "
                               "host 'lab2'"),
              std::string::npos)
        << e.message();
  }
  EXPECT_NE(out.str().find("Destroyed lab 'caplab' for 3 World(s): 6 domain(s), 3 network(s)"),
            std::string::npos)
      << out.str();
  EXPECT_TRUE(hosts_["qemu+ssh://root@lab1/system"].domains.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/lab1/worlds/caplab/cap1")) << "student data deleted";
  // lab2 keeps cap3's two VMs, beside the other lab's VM.
  EXPECT_EQ(hosts_["qemu+ssh://root@lab2/system"].domains.size(), 3u);
  std::unique_ptr<store::Store> store = store::Store::Open(core::StateDbPath(context_.state_dir));
  ASSERT_EQ(store->Worlds("caplab", std::nullopt).size(), 1u);

  down_.clear();
  out.str("");
  Destroy(context_, fake_.env, destroy, out);
  EXPECT_EQ(hosts_["qemu+ssh://root@lab2/system"].domains.size(), 1u);
  EXPECT_EQ(hosts_["qemu+ssh://root@lab2/system"].domains.count("other-vm"), 1u);
  EXPECT_TRUE(store->Worlds("caplab", std::nullopt).empty());
  EXPECT_FALSE(fs::exists(core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "router")));
}


// Draining lab2, whose Worlds are cap3's, onto lab4, a third host with room
// for it.
class DrainTest : public PlacementPlanTest {
 protected:
  void SetUp() override {
    PlacementPlanTest::SetUp();
    AddHost("lab1", "qemu+ssh://root@lab1/system");
    AddHost("lab2", "qemu+ssh://root@lab2/system");
    ASSERT_TRUE((Run(false), last_ok_));
    hosts_["qemu+ssh://root@lab4/system"].host = virt::HostInfo{8000, 8000, 8};
    fake_.disks->Attach(hosts_["qemu+ssh://root@lab4/system"]);
    AddHost("lab4", "qemu+ssh://root@lab4/system");
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    store->SetHostDraining("lab2", true);
  }
  // Every VM of cap3's World is recorded on `host`, over its storage dir.
  void ExpectCap3On(const std::string& host) {
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    for (const store::VmRecord& vm : store->Vms("caplab", std::string("cap3"))) {
      EXPECT_EQ(vm.host, host);
      EXPECT_EQ(vm.overlay, core::OverlayPath(dir_ + "/" + host, "caplab", "cap3", vm.vm));
    }
  }
  static constexpr const char* kRouter = "w-caplab-cap3-router";
};

// Each World on it moves, whole: its overlays copied (the same sha256), the
// World built there over them, and only then removed from the drained host.
TEST_F(DrainTest, MovesEachShutOffWorldWithItsDisks) {
  std::string before = core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "router");
  std::string sha256 = image::Checksum(before);
  std::ostringstream out;
  EXPECT_TRUE(DrainHost(context_, fake_.env, "lab2", out)) << out.str();
  EXPECT_NE(out.str().find("moved cap3's World of lab 'caplab' to lab host 'lab4': 2 "
                           "overlay(s) copied, sha256 the same on both hosts"),
            std::string::npos)
      << out.str();
  std::string after = core::OverlayPath(dir_ + "/lab4", "caplab", "cap3", "router");
  EXPECT_EQ(image::Checksum(after), sha256) << "the student's disk, as it was";
  EXPECT_FALSE(fs::exists(before));
  for (const char* vm : {"router", "client"}) {
    std::string domain = core::DomainName("caplab", "cap3", vm);
    EXPECT_EQ(lab2().domains.count(domain), 0u) << domain;
    ASSERT_EQ(lab4().domains.count(domain), 1u) << domain;
    EXPECT_EQ(lab4().domains[domain].snapshots, std::vector<std::string>{"clean"}) << domain;
  }
  ExpectCap3On("lab4");
  // A re-run of the deploy finds everything in place on the new host.
  std::string text = Run(false);
  EXPECT_TRUE(last_ok_) << text;
  EXPECT_NE(text.find("Nothing to do"), std::string::npos) << text;
}

// A running VM moves live and keeps running: its `clean` exported on its
// own and sent ahead (the running disk is not copied whole), the World's
// networks made there first, the migration relocating its disk and console
// log into the new host's storage dir. Its shut-off neighbour moves as its
// disk.
class DrainLiveTest : public DrainTest {
 protected:
  void SetUp() override {
    DrainTest::SetUp();
    lab2().domains[kRouter].state = virt::DomainState::kRunning;
  }
};

TEST_F(DrainLiveTest, ARunningVmMovesLiveWithItsClean) {
  std::string before = core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "router");
  std::string client_before = core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "client");
  std::string client_sha256 = image::Checksum(client_before);
  std::ostringstream out;
  EXPECT_TRUE(DrainHost(context_, fake_.env, "lab2", out)) << out.str();
  EXPECT_NE(out.str().find("moved cap3's World of lab 'caplab' to lab host 'lab4': 2 overlay(s) "
                           "copied, sha256 the same on both hosts; 1 running VM(s) moved live, "
                           "`clean` exported with them"),
            std::string::npos)
      << out.str();
  std::string after = core::OverlayPath(dir_ + "/lab4", "caplab", "cap3", "router");
  ASSERT_EQ(lab4().domains.count(kRouter), 1u);
  const fakes::FakeHypervisor::Domain& router = lab4().domains[kRouter];
  EXPECT_EQ(router.state, virt::DomainState::kRunning) << "it keeps running";
  EXPECT_EQ(router.spec.disk_path, after);
  EXPECT_EQ(router.spec.console_log,
            core::ConsoleLogPath(dir_ + "/lab4", "caplab", "cap3", "router"));
  EXPECT_EQ(router.snapshots, std::vector<std::string>{"clean"});
  EXPECT_TRUE(fakes::FakeDisks().HasClean(after)) << "the copy holds `clean`";
  EXPECT_EQ(lab2().domains.count(kRouter), 0u);
  EXPECT_FALSE(fs::exists(before));
  EXPECT_FALSE(fs::exists(before + ".clean-export")) << "the export is removed";
  std::vector<std::string> calls = fake_.disks->calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "ExportSnapshot " + before), calls.end());
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ExportSnapshot " + client_before), 0)
      << "a shut-off VM's disk is copied whole";
  std::string client_after = core::OverlayPath(dir_ + "/lab4", "caplab", "cap3", "client");
  EXPECT_EQ(image::Checksum(client_after), client_sha256);
  EXPECT_EQ(lab4().domains["w-caplab-cap3-client"].state, virt::DomainState::kShutOff);
  // The networks came first: the migration needs them there.
  EXPECT_TRUE(lab4().networks.count(core::NetworkName("caplab", "cap3", "lan")));
  ExpectCap3On("lab4");
}

// A VM a move that failed half-way left running on the new host runs over
// the newer disk: a drain neither copies over that disk nor moves the World.
TEST_F(DrainLiveTest, AVmLeftRunningThereByAFailedMoveStopsTheMove) {
  fakes::FakeHypervisor::Domain stuck = lab2().domains[kRouter];
  std::string there = core::OverlayPath(dir_ + "/lab4", "caplab", "cap3", "router");
  stuck.spec.disk_path = there;
  lab4().domains[kRouter] = stuck;
  fakes::FakeDisks::Write(there, /*clean=*/true, "newer");
  std::string sha256 = image::Checksum(there);
  std::ostringstream out;
  EXPECT_FALSE(DrainHost(context_, fake_.env, "lab2", out));
  EXPECT_NE(out.str().find("NOT MOVED cap3's World of lab 'caplab': w-caplab-cap3-router: its VM "
                           "'router' runs on lab host 'lab4' already, over the disk there"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(image::Checksum(there), sha256);
  EXPECT_EQ(lab2().domains[kRouter].state, virt::DomainState::kRunning);
  ExpectCap3On("lab2");
}

// Once a VM runs on its new host, what goes wrong after (its snapshot not
// registered there, what the old host cannot remove) is said; the World
// has moved all the same.
TEST_F(DrainLiveTest, WhatGoesWrongOnceAVmMovedIsSaidNotAFailedMove) {
  lab2().after_migration = "w-caplab-cap3-router: cannot register snapshot 'clean'";
  lab2().FailOn("RemovePartition", "cannot remove the cgroup: Device or resource busy");
  std::ostringstream out;
  EXPECT_TRUE(DrainHost(context_, fake_.env, "lab2", out)) << out.str();
  EXPECT_NE(out.str().find("1 running VM(s) moved live, `clean` exported with them\n"
                           "    on lab host 'lab4': w-caplab-cap3-router: cannot register "
                           "snapshot 'clean'\n"
                           "    left on lab host 'lab2': "),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("cannot remove the cgroup"), std::string::npos) << out.str();
  EXPECT_EQ(lab4().domains[kRouter].state, virt::DomainState::kRunning);
  EXPECT_FALSE(fs::exists(core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "client")));
}

// A migration that fails leaves the World whole where it was, running.
TEST_F(DrainLiveTest, AFailedMigrationLeavesTheWorldWholeAndRunning) {
  lab2().FailOn("MigrateLive", "cannot migrate the domain: unable to connect to server");
  std::string before = core::OverlayPath(dir_ + "/lab2", "caplab", "cap3", "router");
  std::ostringstream out;
  EXPECT_FALSE(DrainHost(context_, fake_.env, "lab2", out));
  EXPECT_NE(out.str().find("NOT MOVED cap3's World of lab 'caplab': w-caplab-cap3-router: its VM "
                           "'router' could not move live: "),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("unable to connect to server"), std::string::npos) << out.str();
  EXPECT_EQ(lab2().domains[kRouter].state, virt::DomainState::kRunning);
  EXPECT_EQ(lab2().domains.count("w-caplab-cap3-client"), 1u);
  EXPECT_TRUE(fs::exists(before));
  ExpectCap3On("lab2");
  // Once the migration works, a second drain moves it.
  lab2().ClearFailures();
  out.str("");
  EXPECT_TRUE(DrainHost(context_, fake_.env, "lab2", out)) << out.str();
  EXPECT_EQ(lab4().domains[kRouter].state, virt::DomainState::kRunning);
}

// Rebalancing evens out memory use: all four Worlds on lab2, an empty lab4
// of the same size; two move (the first two: each goes where more
// headroom is left than its own host would have without it), running VMs
// live, and a second rebalance finds nothing to do.
class RebalanceTest : public PlacementPlanTest {
 protected:
  void SetUp() override {
    PlacementPlanTest::SetUp();
    AddHost("lab2", "qemu+ssh://root@lab2/system");
    lab2().host = virt::HostInfo{8000, 8000, 8};
    lab2().domains.clear();
    ASSERT_TRUE((Run(false), last_ok_));  // all four Worlds on lab2
    lab4().host = virt::HostInfo{8000, 8000, 8};
    fake_.disks->Attach(lab4());
    AddHost("lab4", "qemu+ssh://root@lab4/system");
  }
  std::map<std::string, std::string> HostOfEachWorld() {
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    std::map<std::string, std::string> hosts;
    for (const store::WorldRecord& world : store->Worlds("caplab", std::nullopt)) {
      hosts[world.owner] = world.host;
    }
    return hosts;
  }
};

TEST_F(RebalanceTest, ADryRunSaysWhatWouldMoveAndMovesNothing) {
  // A student's action in flight on cap1's World: a dry run locks nothing,
  // so it neither waits for it nor holds the next one up.
  WorldLock action(context_.state_dir, "caplab", "cap1", WorldLock::Mode::kShared, "");
  std::ostringstream out;
  EXPECT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/true, out)) << out.str();
  EXPECT_NE(out.str().find("  would move cap1's World of lab 'caplab' from lab host 'lab2' to "
                           "lab host 'lab4'\n"
                           "  would move cap2's World of lab 'caplab' from lab host 'lab2' to "
                           "lab host 'lab4'\n"
                           "Would move 2 World(s).\n"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(HostOfEachWorld(), (std::map<std::string, std::string>{
                                   {"cap1", "lab2"}, {"cap2", "lab2"}, {"cap3", "lab2"},
                                   {"cap4", "lab2"}}));
  EXPECT_TRUE(lab4().domains.empty());
}

TEST_F(RebalanceTest, MovesWorldsUntilTheHostsAreEvenRunningVmsLive) {
  lab2().domains["w-caplab-cap1-router"].state = virt::DomainState::kRunning;
  std::ostringstream out;
  EXPECT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/false, out)) << out.str();
  EXPECT_NE(out.str().find("  moved cap1's World of lab 'caplab' from lab host 'lab2' to lab "
                           "host 'lab4': 2 overlay(s) copied, sha256 the same on both hosts; 1 "
                           "running VM(s) moved live"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("Moved 2 World(s).\n"), std::string::npos) << out.str();
  EXPECT_EQ(HostOfEachWorld(), (std::map<std::string, std::string>{
                                   {"cap1", "lab4"}, {"cap2", "lab4"}, {"cap3", "lab2"},
                                   {"cap4", "lab2"}}));
  EXPECT_EQ(lab4().domains["w-caplab-cap1-router"].state, virt::DomainState::kRunning);
  EXPECT_EQ(lab2().domains.count("w-caplab-cap1-router"), 0u);

  out.str("");
  EXPECT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/false, out)) << out.str();
  EXPECT_EQ(out.str(),
            "Nothing to move: the lab hosts' memory use is as even as whole Worlds allow.\n");
}

// Each host is read once for all the Worlds a rebalance places (a read of
// a host over SSH costs a connection and round trips), and again only
// once a World moved to or from it: a balanced class of four Worlds on two
// hosts costs two connections, where every World used to read both hosts.
TEST_F(RebalanceTest, EachHostIsReadOnceForAllTheWorldsItPlaces) {
  std::ostringstream out;
  ASSERT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/false, out)) << out.str();
  ASSERT_NE(out.str().find("Moved 2 World(s).\n"), std::string::npos) << out.str();
  std::map<std::string, int> connects;
  hosts::Connector connect = fake_.env.connect_host;
  fake_.env.connect_host = [&](const std::string& uri) {
    ++connects[uri];
    return connect(uri);
  };
  out.str("");
  EXPECT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/true, out)) << out.str();
  EXPECT_EQ(out.str(),
            "Nothing to move: the lab hosts' memory use is as even as whole Worlds allow.\n");
  EXPECT_EQ(connects, (std::map<std::string, int>{{"qemu+ssh://root@lab2/system", 1},
                                                  {"qemu+ssh://root@lab4/system", 1}}));
}

// A host that cannot be reached keeps its Worlds, is named, and the
// rebalance says it did not finish.
TEST_F(RebalanceTest, AHostThatCannotBeReachedKeepsItsWorlds) {
  down_.insert("qemu+ssh://root@lab2/system");
  std::ostringstream out;
  EXPECT_FALSE(Rebalance(context_, fake_.env, /*dry_run=*/false, out)) << out.str();
  EXPECT_NE(out.str().find("  lab host 'lab2' cannot be reached; its Worlds stay: "),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("Connection reset"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Moved 0 World(s); the Worlds on 1 unreachable lab host(s) stay.\n"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(HostOfEachWorld()["cap1"], "lab2");
  EXPECT_TRUE(lab4().domains.empty());
}

TEST_F(RebalanceTest, OneHostOrADrainingOneIsNothingToBalance) {
  {
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    store->SetHostDraining("lab4", true);
  }
  std::ostringstream out;
  EXPECT_TRUE(Rebalance(context_, fake_.env, /*dry_run=*/false, out)) << out.str();
  EXPECT_EQ(out.str(), "Nothing to balance: 1 lab host(s) take Worlds (`worlds host add` adds "
                       "one).\n");
}

// A drained World is placed counting the lab's Worlds already on each host
// (shut off or not, moved by this drain or before): lab4 takes two of
// lab2's four Worlds, not all four.
TEST_F(PlacementPlanTest, DrainCountsTheLabsWorldsAlreadyOnEachHost) {
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  hosts_["qemu+ssh://root@lab2/system"].host = virt::HostInfo{8000, 8000, 8};
  hosts_["qemu+ssh://root@lab2/system"].domains.clear();
  ASSERT_TRUE((Run(false), last_ok_));  // all four Worlds on lab2
  // lab4 has room for two Worlds (budget 90% of 1200 MiB = 1080; 512 each).
  hosts_["qemu+ssh://root@lab4/system"].host = virt::HostInfo{1200, 1200, 8};
  fake_.disks->Attach(hosts_["qemu+ssh://root@lab4/system"]);
  AddHost("lab4", "qemu+ssh://root@lab4/system");
  {
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    store->SetHostDraining("lab2", true);
  }
  std::ostringstream out;
  EXPECT_FALSE(DrainHost(context_, fake_.env, "lab2", out));
  EXPECT_NE(out.str().find("Moved 2 of 4 World(s) off lab host 'lab2'."), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("NOT MOVED cap3's World of lab 'caplab': the World of 'cap3' (512 "
                           "MiB of memory, 64.0 MiB of disk) fits no host: lab2: draining; "
                           "lab4: 56 MiB of memory left, 512 MiB needed"),
            std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace deploy

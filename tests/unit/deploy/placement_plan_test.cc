// Where a deploy's Worlds would go with an inventory of lab hosts
// (deploy/placement_plan.h), through the whole dry-run flow with fakes: one
// fake libvirt per host URI, and the inventory in a real state database.
// A real deploy with an inventory is refused before it changes anything.
#include "deploy/placement_plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/names.h"
#include "deploy/operations.h"
#include "fakes/fake_env.h"
#include "fakes/shared_fakes.h"
#include "store/store.h"
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

class PlacementPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    context_.state_dir = dir_ + "/state";
    context_.image_dir = dir_ + "/images";
    context_.uid = 0;
    context_.actor = "instructor";
    fs::create_directories(context_.image_dir);
    for (const char* file : {"tiny.qcow2", "tiny.vmlinuz", "tiny.initrd"}) {
      std::ofstream(context_.image_dir + "/" + file) << "tiny " << file;
    }
    std::ofstream(dir_ + "/caplab.yaml") << kLab;
    std::ofstream(dir_ + "/roster.csv") << "username,full_name,group\n"
                                        << "cap1,Cap One,a\ncap2,Cap Two,a\n"
                                        << "cap3,Cap Three,b\ncap4,Cap Four,b\n";
    request_.lab_file = dir_ + "/caplab.yaml";
    request_.roster_file = dir_ + "/roster.csv";
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
      if (found == hosts_.end()) throw core::Error("Cannot recv data: Connection reset", uri);
      return std::make_unique<fakes::SharedHypervisor>(found->second, mu_);
    };
  }

  void AddHost(const std::string& name, const std::string& uri) {
    fs::create_directories(context_.state_dir);
    std::unique_ptr<store::Store> store =
        store::Store::Open(core::StateDbPath(context_.state_dir));
    store::HostRecord host;
    host.name = name;
    host.uri = uri;
    host.storage_dir = "/var/lib/worlds";
    store->AddHost(host);
  }

  std::string DryRun() {
    request_.dry_run = true;
    std::ostringstream out;
    EXPECT_TRUE(Deploy(context_, fake_.env, request_, out));
    return out.str();
  }

  support::TempDir temp_{"worlds-placement-"};
  std::string dir_;
  Context context_;
  DeployRequest request_;
  fakes::FakeEnv fake_;
  std::map<std::string, fakes::FakeHypervisor> hosts_;
  std::mutex mu_;
};

TEST_F(PlacementPlanTest, DryRunShowsWhereEachWorldGoesAndEachHostsRoom) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  AddHost("lab3", "qemu+ssh://root@lab3/system");  // no fake: unreachable
  std::string text = DryRun();
  // lab1 has 1800 MiB free, lab2 1100 (3600 - 2500): each World (512 MiB)
  // goes where the most headroom is left: lab1, lab1, lab2, lab1.
  EXPECT_NE(text.find("Placement (a World lives whole on one host):\n"
                      "  lab1: 3 World(s) (3 new), memory 1536 MiB of 1800 MiB, vCPUs 6 on 4 "
                      "CPUs, disk 192 MiB (free space not known)\n"
                      "    cap1 cap2 cap4\n"
                      "  lab2: 1 World(s) (1 new), memory 3012 MiB of 3600 MiB, vCPUs 4 on 8 "
                      "CPUs, disk 64.0 MiB (free space not known)\n"
                      "    cap3\n"
                      "  lab3: unreachable (qemu+ssh://root@lab3/system: Cannot recv data: "
                      "Connection reset)\n"
                      "warning: lab1: 6 vCPUs on 4 CPUs (1.5×) at expected-running; vCPUs are "
                      "time-shared, so the guests run slower when all are busy\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Deploying across the lab hosts is not built yet"), std::string::npos);
  EXPECT_NE(text.find("Dry run: nothing was changed.\n"), std::string::npos);
  EXPECT_EQ(text.find("Capacity ("), std::string::npos) << "no one-host table: " << text;
}

TEST_F(PlacementPlanTest, AWorldThatFitsNoHostIsShownRefused) {
  AddHost("lab2", "qemu+ssh://root@lab2/system");
  std::string text = DryRun();
  // 1100 MiB free on lab2: two Worlds of 512 MiB, not four.
  EXPECT_NE(text.find("refused: the World of 'cap3' (512 MiB of memory, 64.0 MiB of disk) fits "
                      "no host: lab2: 76 MiB of memory left, 512 MiB needed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("A deploy would be refused: a World that fits no host is not placed.\n"),
            std::string::npos);
}

TEST_F(PlacementPlanTest, ADeployWithAnInventoryIsRefusedAndChangesNothing) {
  AddHost("lab1", "qemu+ssh://root@lab1/system");
  std::ostringstream out;
  try {
    Deploy(context_, fake_.env, request_, out);
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message(),
              "the inventory has lab hosts (lab1), and deploying across them is not built yet; "
              "nothing was changed");
  }
  EXPECT_TRUE(fake_.hypervisor.domains.empty());
  std::unique_ptr<store::Store> store = store::Store::Open(core::StateDbPath(context_.state_dir));
  EXPECT_TRUE(store->Worlds(std::nullopt, std::nullopt).empty());
}

}  // namespace
}  // namespace deploy

// Deploys a real lab to a real roster on the real libvirtd and appliance,
// and checks the result through virsh and qemu-img, not through our store.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>

#include "core/names.h"
#include "guest/customizer.h"
#include "integration/harness.h"

namespace {

const char* kUsers[] = {"alice", "bob", "carol"};
const char* kVms[] = {"router", "client"};

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_dir_ = it::TestImageDir();
    IT_REQUIRE(!image_dir_.empty(),
               "tiny test image (run tools/build-test-image build/images)");
    IT_REQUIRE(it::Exec({"virsh", "-q", "-c", "qemu:///system", "version"}).code == 0,
               "libvirtd on qemu:///system (run tools/start-daemons)");
    setenv("LIBGUESTFS_BACKEND", "direct", 0);
    setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
    dir_ = it::MakeTempDir(Name());
    state_dir_ = dir_ + "/state";
    // The sample lab under a name of its own, so the test never touches a
    // real deployment of netlab.
    std::string text = it::ReadFile(it::SourcePath("labs/netlab.yaml"));
    text = std::regex_replace(text, std::regex("(^|\\n)lab: *netlab"), "$1lab: " + Lab());
    lab_file_ = dir_ + "/" + Lab() + ".yaml";
    std::ofstream(lab_file_) << text;
    roster_ = it::SourcePath("labs/rosters/sample.csv");
    ready_ = true;
  }

  void TearDown() override {
    if (!ready_) return;
    it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
    std::filesystem::remove_all(dir_);
  }

  virtual std::string Name() const { return "deploy"; }
  std::string Lab() const { return "it" + Name(); }

  std::vector<std::string> Global(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--state-dir", state_dir_, "--image-dir", image_dir_,
                                    "--accel", "qemu"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  it::Run Deploy(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"deploy", lab_file_, "--roster", roster_};
    args.insert(args.end(), extra.begin(), extra.end());
    return it::Worlds(Global(args));
  }

  std::set<std::string> Domains() {
    std::set<std::string> out;
    std::istringstream in(
        it::Exec({"virsh", "-q", "-c", "qemu:///system", "list", "--all", "--name"}).out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("w-" + Lab() + "-", 0) == 0) out.insert(line);
    }
    return out;
  }

  std::set<std::string> ExpectedDomains() const {
    std::set<std::string> out;
    for (const char* user : kUsers) {
      for (const char* vm : kVms) out.insert(core::DomainName(Lab(), user, vm));
    }
    return out;
  }

  std::string Overlay(const char* user, const char* vm) const {
    return core::OverlayPath(state_dir_, Lab(), user, vm);
  }

  // Everything the acceptance list asks for, checked through virsh and
  // qemu-img.
  void ExpectFullDeployment() {
    EXPECT_EQ(Domains(), ExpectedDomains());
    std::set<std::string> bridges;
    for (const char* user : kUsers) {
      std::string net = core::NetworkName(Lab(), user, "lan");
      it::Run xml = it::Exec({"virsh", "-c", "qemu:///system", "net-dumpxml", net});
      ASSERT_EQ(xml.code, 0) << net << ": " << xml.err;
      EXPECT_EQ(xml.out.find("<forward"), std::string::npos) << xml.out;
      EXPECT_EQ(xml.out.find("<ip"), std::string::npos) << xml.out;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(xml.out, m, std::regex("<bridge name='([^']+)'")));
      EXPECT_LE(m[1].str().size(), 15u);
      bridges.insert(m[1].str());
      for (const char* vm : kVms) {
        std::string domain = core::DomainName(Lab(), user, vm);
        it::Run snaps = it::Exec(
            {"virsh", "-q", "-c", "qemu:///system", "snapshot-list", domain, "--name"});
        EXPECT_EQ(snaps.out.substr(0, snaps.out.find_last_not_of("\n") + 1), "clean")
            << domain;
        it::Run info = it::Exec({"qemu-img", "info", "--output=json", "-U",
                                 "--backing-chain", Overlay(user, vm)});
        ASSERT_EQ(info.code, 0) << info.err;
        nlohmann::json chain = nlohmann::json::parse(info.out);
        ASSERT_EQ(chain.size(), 2u) << "overlay over one base";
        EXPECT_EQ(chain[0]["format"], "qcow2");
        EXPECT_EQ(chain[0]["backing-filename"], image_dir_ + "/tiny.qcow2");
        EXPECT_EQ(chain[0]["backing-filename-format"], "qcow2");
        EXPECT_EQ(chain[0]["snapshots"][0]["name"], "clean");
        EXPECT_LT(chain[0]["actual-size"].get<int64_t>(), 4 << 20) << "never a full copy";
      }
    }
    EXPECT_EQ(bridges.size(), 3u) << "one bridge per World";
  }

  std::string dir_, state_dir_, image_dir_, lab_file_, roster_;
  bool ready_ = false;
};

TEST_F(DeployTest, DeploysSampleRosterReRunsAsNoOpAndDestroyKeepsOverlays) {
  std::string base = image_dir_ + "/tiny.qcow2";
  std::string base_sum = it::Exec({"sha256sum", base}).out;

  it::Run first = Deploy();
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("Deployed 3 World(s), 6 VM(s): 6 built now"), std::string::npos)
      << first.out;
  ExpectFullDeployment();

  // The customization is in the disk, read back by libguestfs.
  std::vector<std::string> files = guest::ReadGuestFiles(
      Overlay("alice", "router"),
      {"/etc/hostname", "/etc/rc.local", "/etc/network/interfaces"});
  EXPECT_EQ(files[0], "router-alice\n");
  EXPECT_NE(files[1].find(guest::kFirstBootBegin), std::string::npos) << files[1];
  EXPECT_NE(files[1].find(guest::kFirstBootEnd), std::string::npos) << files[1];
  EXPECT_NE(files[2].find("address 10.10.0.1"), std::string::npos) << files[2];
  EXPECT_EQ(it::Exec({"sha256sum", base}).out, base_sum) << "the base is never written";

  // Nothing to do the second time, and nothing changes.
  struct stat before;
  ASSERT_EQ(stat(Overlay("bob", "client").c_str(), &before), 0);
  it::Run again = Deploy();
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("Nothing to do: 3 World(s), 6 VM(s) already deployed"),
            std::string::npos) << again.out;
  struct stat after;
  ASSERT_EQ(stat(Overlay("bob", "client").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  ExpectFullDeployment();

  // status tells the same story.
  it::Run status = it::Worlds(Global({"status", "--lab", Lab(), "--json"}));
  ASSERT_EQ(status.code, 0) << status.err;
  nlohmann::json rows = nlohmann::json::parse(status.out);
  ASSERT_EQ(rows.size(), 6u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["phase"], "ready");
    EXPECT_EQ(row["state"], "shut off");
  }

  // destroy without the flag keeps every student's overlay...
  it::Run destroy = it::Worlds(Global({"destroy", lab_file_}));
  ASSERT_EQ(destroy.code, 0) << destroy.out << destroy.err;
  EXPECT_TRUE(Domains().empty());
  EXPECT_NE(it::Exec({"virsh", "-c", "qemu:///system", "net-info",
                      core::NetworkName(Lab(), "alice", "lan")}).code, 0);
  for (const char* user : kUsers) {
    for (const char* vm : kVms) EXPECT_TRUE(std::filesystem::exists(Overlay(user, vm)));
  }
  // ...and a new deploy defines the Worlds again over those same overlays.
  it::Run adopt = Deploy();
  ASSERT_EQ(adopt.code, 0) << adopt.out << adopt.err;
  ASSERT_EQ(stat(Overlay("bob", "client").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "kept overlay reused, not rebuilt";
  ExpectFullDeployment();

  it::Run wipe = it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
  ASSERT_EQ(wipe.code, 0) << wipe.out << wipe.err;
  EXPECT_TRUE(Domains().empty());
  EXPECT_FALSE(std::filesystem::exists(Overlay("alice", "router")));
}

class BootTest : public DeployTest {
 protected:
  std::string Name() const override { return "boot"; }
};

// Waits until `path` contains `text` or `seconds` pass.
bool WaitForText(const std::string& path, const std::string& text, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (it::ReadFile(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return false;
}

TEST_F(BootTest, FirstBootBlockRunsOnceThenRemovesItself) {
  it::Run deploy = Deploy({"--group", "lab-a"});
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  std::string domain = core::DomainName(Lab(), "alice", "router");
  ASSERT_EQ(Domains().count(domain), 1u) << deploy.out;
  std::string log = core::ConsoleLogPath(state_dir_, Lab(), "alice", "router");

  it::Run start = it::Exec({"virsh", "-c", "qemu:///system", "start", domain});
  ASSERT_EQ(start.code, 0) << start.err;
  bool booted = WaitForText(log, "tiny: boot complete", 240);
  std::string console = it::ReadFile(log);
  // A graceful shutdown, as a student would do it, so the guest syncs.
  it::Exec({"virsh", "-c", "qemu:///system", "shutdown", domain});
  bool off = false;
  for (int i = 0; i < 120 && !off; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    off = it::Exec({"virsh", "-c", "qemu:///system", "domstate", domain}).out ==
          "shut off\n\n";
  }
  if (!off) it::Exec({"virsh", "-c", "qemu:///system", "destroy", domain});
  ASSERT_TRUE(booted) << console;
  EXPECT_TRUE(off) << "ACPI shutdown of the tiny guest";
  EXPECT_NE(console.find("worlds: first-boot block done"), std::string::npos) << console;

  std::vector<std::string> files =
      guest::ReadGuestFiles(Overlay("alice", "router"),
                            {"/etc/rc.local", "/etc/hostname", "/etc/motd"});
  EXPECT_EQ(files[0].find(guest::kFirstBootBegin), std::string::npos)
      << "the block removed itself:\n" << files[0];
  EXPECT_EQ(files[1], "router-alice\n");
  EXPECT_EQ(files[2], "netlab: router for alice ready\n") << "the lab's commands ran";
}

class KillTest : public DeployTest {
 protected:
  std::string Name() const override { return "kill"; }
};

TEST_F(KillTest, ReRunAfterKilledDeployConverges) {
  namespace bp = boost::process;
  std::vector<std::string> args = Global({"deploy", lab_file_, "--roster", roster_});
  bp::child child(WORLDS_BINARY, args, bp::std_out > bp::null, bp::std_err > bp::null);
  // Killed while the appliance customizes (overlays exist, some domains are
  // defined, no snapshot yet).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && Domains().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ::kill(child.id(), SIGKILL);
  child.wait();
  EXPECT_FALSE(Domains().empty()) << "killed midway, after some domains were defined";

  it::Run rerun = Deploy();
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  ExpectFullDeployment();
  it::Run again = Deploy();
  EXPECT_NE(again.out.find("Nothing to do"), std::string::npos) << again.out;
}

TEST(InvalidLabTest, ReportsEveryErrorAndDeploysNothing) {
  std::string dir = it::MakeTempDir("invalid");
  std::string lab = dir + "/bad.yaml";
  std::ofstream(lab) << "lab: itbad\n"
                        "images:\n"
                        "  - name: tiny\n"
                        "    file: missing.qcow2\n"
                        "networks:\n"
                        "  - name: lan\n"
                        "    cidr: 10.0.0.0/24\n"
                        "vms:\n"
                        "  - name: web\n"
                        "    image: tiny\n"
                        "    memroy: 256M\n"
                        "    nics:\n"
                        "      - network: lan\n"
                        "        ip: 10.9.9.9\n";
  it::Run validate = it::Worlds({"--state-dir", dir + "/state", "--image-dir", dir,
                                 "lab", "validate", lab});
  EXPECT_EQ(validate.code, 2);
  EXPECT_NE(validate.err.find(lab + ":4:11: "), std::string::npos) << validate.err;
  EXPECT_NE(validate.err.find(lab + ":11:5: unknown key 'memroy'"), std::string::npos)
      << validate.err;
  EXPECT_NE(validate.err.find(lab + ":14:13: "), std::string::npos) << validate.err;

  it::Run deploy = it::Worlds({"--state-dir", dir + "/state", "--image-dir", dir, "deploy",
                               lab, "--roster", it::SourcePath("labs/rosters/sample.csv")});
  EXPECT_EQ(deploy.code, 2) << deploy.out << deploy.err;
  EXPECT_NE(deploy.err.find("nothing was changed"), std::string::npos) << deploy.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/state/state.db"));
  it::Run list = it::Exec({"virsh", "-q", "-c", "qemu:///system", "list", "--all", "--name"});
  EXPECT_EQ(list.out.find("w-itbad-"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace

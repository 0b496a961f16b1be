// Deploys a real lab to a real roster on the real libvirtd and appliance,
// and checks the result through virsh and qemu-img, not through our store.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "guest/customizer.h"
#include "integration/deploy_fixture.h"
#include "support/temp_dir.h"

namespace {

using it::DeployTest;
using it::kUsers;
using it::kVms;

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

TEST(InvalidLabTest, ReportsEveryErrorAndDeploysNothing) {
  support::TempDir temp("worlds-it-invalid-", 0755, "/tmp");
  const std::string& dir = temp.path();
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
}

}  // namespace

// The lab file changes after a deploy: a VM's memory grows, one VM is
// removed and another added. The plan says so (--dry-run changes nothing),
// the deploy applies the addition and the new size over the same overlay,
// and keeps the removed VM while its overlay holds the student's work,
// until --delete-student-data.
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "guest/customizer.h"
#include "guest/guestfs_session.h"
#include "guest/inspector.h"
#include "integration/deploy_fixture.h"
#include "support/roster.h"

namespace {

class LabChangeTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "labchange"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    roster_ = dir_ + "/one.csv";  // one World keeps the appliance launches short
    support::WriteRoster(roster_, {support::kAlice});
  }

  // What a student's session leaves on the disk, written offline (a boot
  // under TCG would only make the test slower, not the disk different).
  void StudentWrites(const std::string& overlay, const std::string& text) {
    guest::GuestfsSession s(guest::GuestfsOptions{});
    s.AddDrive(overlay, "qcow2", /*readonly=*/false);
    s.Launch();
    const std::string disk = s.Devices().at(0);
    guest::OsInfo os = guest::InspectDisk(s, disk);
    guest::MountGuest(s, os, disk, /*readonly=*/false);
    s.WriteFile("/root/work.txt", text);
    guest::UnmountGuest(s, os);
    s.Finish();
  }

  std::string MaxMemoryKib(const std::string& domain) {
    it::Run info = it::Exec({"virsh", "-c", "qemu:///system", "dominfo", domain});
    std::smatch m;
    if (!std::regex_search(info.out, m, std::regex("Max memory: +([0-9]+) KiB"))) {
      return "no dominfo: " + info.out + info.err;
    }
    return m[1];
  }

  std::string Snapshots(const std::string& domain) {
    return it::Exec({"virsh", "-q", "-c", "qemu:///system", "snapshot-list", domain,
                     "--name"}).out;
  }

  // The lab as changed by its instructor: router 256M -> 384M, client gone,
  // web (a copy of the old client at .20) new.
  void ChangeLab() {
    std::string text = it::ReadFile(lab_file_);
    text = std::regex_replace(text, std::regex("memory: 256M"), "memory: 384M",
                              std::regex_constants::format_first_only);
    text = std::regex_replace(text, std::regex("- name: client"), "- name: web");
    text = std::regex_replace(text, std::regex("ip: 10\\.10\\.0\\.10"), "ip: 10.10.0.20");
    std::ofstream(lab_file_) << text;
  }
};

TEST_F(LabChangeTest, PlanAppliesAdditionsAndResizeAndKeepsStudentData) {
  it::Run first = Deploy();
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  std::string router = core::DomainName(Lab(), "alice", "router");
  std::string client = core::DomainName(Lab(), "alice", "client");
  std::string web = core::DomainName(Lab(), "alice", "web");
  ASSERT_EQ(MaxMemoryKib(router), "262144");
  StudentWrites(Overlay("alice", "client"), "student-work-7\n");
  struct stat router_before;
  ASSERT_EQ(stat(Overlay("alice", "router").c_str(), &router_before), 0);

  ChangeLab();
  // The plan, and nothing changed by it.
  it::Run plan = Deploy({"--dry-run"});
  ASSERT_EQ(plan.code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("1 World(s), 2 VM(s), 1 to build, 1 to re-define, 0 up to date, "
                          "1 no longer in the lab (0 to remove, 1 kept)"),
            std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find(router + ": re-define over its kept overlay (memory 256 -> 384 MiB)"),
            std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find(web + ": build (hostname web-alice, busybox, eth0 10.10.0.20/24 " +
                          core::MacAddress(web, 0) + ")"),
            std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find(client + ": no longer in the lab, kept: its overlay holds student "
                          "data (--delete-student-data removes it)"),
            std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("Dry run: nothing was changed."), std::string::npos);
  EXPECT_EQ(Domains(), (std::set<std::string>{client, router}));
  EXPECT_EQ(MaxMemoryKib(router), "262144");

  // Applied: web built, router resized over the same overlay with its
  // `clean`, client kept with the student's file.
  it::Run applied = Deploy();
  ASSERT_EQ(applied.code, 0) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("KEPT " + client + ": no longer in the lab, but its overlay " +
                             Overlay("alice", "client") +
                             " holds student data (--delete-student-data removes it)"),
            std::string::npos) << applied.out;
  EXPECT_EQ(Domains(), (std::set<std::string>{client, router, web}));
  EXPECT_EQ(MaxMemoryKib(router), "393216");
  EXPECT_EQ(Snapshots(router), "clean\n");
  EXPECT_EQ(Snapshots(web), "clean\n");
  struct stat router_after;
  ASSERT_EQ(stat(Overlay("alice", "router").c_str(), &router_after), 0);
  EXPECT_EQ(router_before.st_ino, router_after.st_ino) << "same overlay, not a rebuilt one";
  EXPECT_EQ(router_before.st_mtim.tv_sec, router_after.st_mtim.tv_sec);
  EXPECT_EQ(guest::ReadGuestFiles(Overlay("alice", "client"), {"/root/work.txt"})[0],
            "student-work-7\n");

  // A revert keeps the new size: `clean` was registered with the new
  // definition.
  it::Run revert = it::Worlds(Global({"revert", Lab(), "--owner", "alice", "--vm", "router"}));
  ASSERT_EQ(revert.code, 0) << revert.out << revert.err;
  EXPECT_EQ(MaxMemoryKib(router), "393216");

  it::Run again = Deploy();
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("Nothing to do"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("KEPT " + client), std::string::npos) << again.out;

  // Only when told.
  it::Run told = Deploy({"--delete-student-data"});
  ASSERT_EQ(told.code, 0) << told.out << told.err;
  EXPECT_NE(told.out.find("removed " + client + ": no longer in the lab, with its student data"),
            std::string::npos) << told.out;
  EXPECT_EQ(Domains(), (std::set<std::string>{router, web}));
  EXPECT_FALSE(std::filesystem::exists(Overlay("alice", "client")));
  it::Run status = it::Worlds(Global({"status", "--lab", Lab(), "--json"}));
  ASSERT_EQ(status.code, 0) << status.err;
  nlohmann::json rows = nlohmann::json::parse(status.out);
  ASSERT_EQ(rows.size(), 2u) << status.out;
  for (const auto& row : rows) EXPECT_EQ(row["phase"], "ready") << row.dump();
  it::Run events = it::Worlds(Global({"events", "--json"}));
  EXPECT_NE(events.out.find("\"remove-vm\""), std::string::npos) << events.out;
}

}  // namespace

// A student's written data is theirs: once a student has written into a VM,
// no command without --delete-student-data removes or resets that overlay;
// only the student's own (or an admin's explicit) revert does. Alice boots
// her router, writes a marker file through the serial console and powers
// off; then each command runs and the marker is looked for on the overlay,
// both as bytes (the overlay file unchanged) and as the file inside the
// guest's filesystem (read offline through libguestfs).
//
// The walk is one test because the boot under TCG is its cost; each command
// is one step, checked by ExpectMarkerKept(step). Steps that change the lab
// between deploys belong after the deploy re-runs and before the destroy.
#include <chrono>
#include <thread>

#include "core/error.h"
#include "guest/customizer.h"
#include "image/overlay.h"
#include "integration/deploy_fixture.h"
#include "integration/guest_console.h"
#include "support/roster.h"
#include "virt/hypervisor.h"

namespace {

using it::Console;
using it::DeployTest;

constexpr char kMarker[] = "student-work-42\n";

// The bytes of an overlay as a student's data: size, mtime and sha256.
struct Fingerprint {
  uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
  std::string sha256;
  bool operator==(const Fingerprint& o) const {
    return size == o.size && mtime == o.mtime && sha256 == o.sha256;
  }
};

Fingerprint FingerprintOf(const std::string& path) {
  return {std::filesystem::file_size(path), std::filesystem::last_write_time(path),
          image::Checksum(path)};
}

class StudentDataTest : public DeployTest {
 protected:
  std::string Name() const override { return "diskstudent"; }

  void SetUp() override {
    DeployTest::SetUp();
    if (!ready_) return;
    // Two Worlds: alice writes, bob is the World that stays when a roster
    // drops alice.
    roster_ = dir_ + "/two.csv";
    support::WriteRoster(roster_, {support::kAlice, support::kBob});
    bob_only_ = dir_ + "/bob.csv";
    support::WriteRoster(bob_only_, {support::kBob});
  }

  std::string AliceRouter() const { return core::DomainName(Lab(), "alice", "router"); }

  it::Run DeployRoster(const std::string& roster) {
    return it::Worlds(Global({"deploy", lab_file_, "--roster", roster, "--jobs", "1"}));
  }

  bool WaitForState(const std::string& domain, const std::string& state, int seconds) {
    for (int i = 0; i < seconds * 2; ++i) {
      if (it::Exec({"virsh", "-c", "qemu:///system", "domstate", domain}).out ==
          state + "\n\n") {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  // Alice boots her router, writes the marker, syncs, and powers off.
  void StudentWritesMarker() {
    std::string log = core::ConsoleLogPath(state_dir_, Lab(), "alice", "router");
    it::Run start = it::Worlds(Global({"start", Lab(), "--owner", "alice", "--vm", "router"}));
    ASSERT_EQ(start.code, 0) << start.out << start.err;
    ASSERT_TRUE(it::WaitForText(log, "tiny: boot complete", 300)) << it::ReadFile(log);
    {
      std::unique_ptr<virt::Hypervisor> hv = virt::NewLibvirtHypervisor("qemu:///system");
      Console console(*hv, AliceRouter());
      // The shell on ttyS0 answers once it is there; the arithmetic makes
      // the answer differ from the typed line.
      bool shell = false;
      for (int i = 0; i < 12 && !shell; ++i) {
        console.Type("echo SHELL-$((6*7))-READY\n");
        shell = console.WaitFor("SHELL-42-READY", 5);
      }
      ASSERT_TRUE(shell) << console.Seen();
      console.Type("mkdir -p /root; echo student-work-42 > /root/work.txt; sync; "
                   "echo WROTE-$((40+2))-DONE\n");
      ASSERT_TRUE(console.WaitFor("WROTE-42-DONE", 60)) << console.Seen();
    }
    it::Run stop = it::Worlds(
        Global({"stop", Lab(), "--owner", "alice", "--vm", "router", "--force"}));
    ASSERT_EQ(stop.code, 0) << stop.out << stop.err;
    ASSERT_TRUE(WaitForState(AliceRouter(), "shut off", 60));
  }

  std::string MarkerOnDisk() {
    return guest::ReadGuestFiles(Overlay("alice", "router"), {"/root/work.txt"}, "qcow2")[0];
  }

  // The overlay is byte for byte what it was after the student wrote.
  void ExpectMarkerKept(const std::string& step) {
    SCOPED_TRACE(step);
    ASSERT_TRUE(std::filesystem::exists(Overlay("alice", "router")));
    EXPECT_TRUE(FingerprintOf(Overlay("alice", "router")) == written_)
        << "the overlay changed after: " << step;
  }

  // Each World of `owners` complete: its two domains, each with `clean`.
  void ExpectFullDeploymentOf(const std::vector<std::string>& owners) {
    std::set<std::string> expected;
    for (const std::string& owner : owners) {
      for (const char* vm : it::kVms) {
        std::string domain = core::DomainName(Lab(), owner, vm);
        expected.insert(domain);
        it::Run snaps = it::Exec(
            {"virsh", "-q", "-c", "qemu:///system", "snapshot-list", domain, "--name"});
        EXPECT_EQ(snaps.out, "clean\n") << domain;
      }
    }
    EXPECT_EQ(Domains(), expected);
  }

  std::string bob_only_;
  Fingerprint written_;
};

TEST_F(StudentDataTest, OnlyRevertOrDeleteStudentDataTouchesWhatAStudentWrote) {
  it::Run deploy = DeployRoster(roster_);
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  StudentWritesMarker();
  if (HasFatalFailure()) return;
  written_ = FingerprintOf(Overlay("alice", "router"));
  Fingerprint bob = FingerprintOf(Overlay("bob", "router"));
  ASSERT_EQ(MarkerOnDisk(), kMarker) << "the guest's write reached the overlay";

  // 1. The same deploy again: nothing to do, nothing touched.
  it::Run rerun = DeployRoster(roster_);
  EXPECT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("Nothing to do: 2 World(s), 4 VM(s) already deployed"),
            std::string::npos)
      << rerun.out;
  ExpectMarkerKept("deploy re-run");

  // 2. A roster without alice: her World is not the deploy's to remove.
  it::Run bob_only = DeployRoster(bob_only_);
  EXPECT_EQ(bob_only.code, 0) << bob_only.out << bob_only.err;
  EXPECT_NE(bob_only.out.find("Nothing to do: 1 World(s), 2 VM(s) already deployed"),
            std::string::npos)
      << bob_only.out;
  EXPECT_EQ(Domains().count(AliceRouter()), 1u) << "alice's World was destroyed";
  EXPECT_EQ(Domains().size(), 4u);
  it::Run snaps = it::Exec(
      {"virsh", "-q", "-c", "qemu:///system", "snapshot-list", AliceRouter(), "--name"});
  EXPECT_EQ(snaps.out, "clean\n");
  ExpectMarkerKept("deploy with a roster that drops alice");

  // (Lab changes: deploying a changed lab file, e.g. one that resizes or
  // drops the router, is a step of its own here, ending with
  // ExpectMarkerKept("<the change>"); written_ is still the reference.)

  // 3. destroy without --delete-student-data: domains and networks go, the
  // overlays stay, and the next deploy re-defines the VMs over them.
  it::Run destroy = it::Worlds(Global({"destroy", lab_file_}));
  EXPECT_EQ(destroy.code, 0) << destroy.out << destroy.err;
  EXPECT_NE(destroy.out.find("Destroyed lab '" + Lab() +
                             "' for 2 World(s): 4 domain(s), 2 network(s) removed."),
            std::string::npos)
      << destroy.out;
  EXPECT_NE(destroy.out.find("Kept 4 student overlay(s) under " + state_dir_ + "/worlds/" +
                             Lab() + " (a new deploy picks them up; "
                                     "--delete-student-data deletes them)."),
            std::string::npos)
      << destroy.out;
  EXPECT_TRUE(Domains().empty());
  ExpectMarkerKept("destroy");
  it::Run again = DeployRoster(roster_);
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("0 VM(s) to build, 4 to re-define over kept overlays"),
            std::string::npos)
      << again.out;
  ExpectFullDeploymentOf({"alice", "bob"});
  ExpectMarkerKept("deploy over the kept overlays");
  EXPECT_EQ(MarkerOnDisk(), kMarker) << "the student's file after destroy and re-deploy";

  // The allowed path: alice's own revert resets her router, and only it.
  it::Run revert =
      it::Worlds(Global({"revert", Lab(), "--owner", "alice", "--vm", "router"}));
  EXPECT_EQ(revert.code, 0) << revert.out << revert.err;
  EXPECT_NE(revert.out.find("Reverted 1/1 VM(s) of lab '" + Lab() + "' to clean"),
            std::string::npos)
      << revert.out;
  EXPECT_EQ(MarkerOnDisk(), "") << "revert to clean drops what was written after it";
  EXPECT_TRUE(FingerprintOf(Overlay("bob", "router")) == bob) << "bob's World untouched";

  // 4. Only --delete-student-data deletes the overlays.
  it::Run wipe = it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
  EXPECT_EQ(wipe.code, 0) << wipe.out << wipe.err;
  EXPECT_NE(wipe.out.find("Deleted 4 overlay(s) (--delete-student-data)."), std::string::npos)
      << wipe.out;
  EXPECT_FALSE(std::filesystem::exists(Overlay("alice", "router")));
  EXPECT_FALSE(std::filesystem::exists(Overlay("bob", "router")));
}

}  // namespace

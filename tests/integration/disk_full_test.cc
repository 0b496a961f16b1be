// A full state dir: the state dir is a small tmpfs, filled up by a filler
// file to leave a chosen number of bytes free. A deploy into it must fail
// quickly with an error naming the problem and the place, leave state.db
// intact (PRAGMA integrity_check), never have `worlds status` call a VM
// ready that is not (checked independently through virsh and qemu-img),
// and converge once space is freed.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "integration/deploy_fixture.h"
#include "support/roster.h"

namespace {

using it::DeployTest;

// Every deploy here is bounded: a deploy that hangs on a full disk is the
// bug this file looks for, and must fail the test, not stall CI.
constexpr char kDeployTimeout[] = "600";

class DiskFullTest : public DeployTest {
 protected:
  std::string Name() const override { return "diskfull"; }

  void SetUp() override {
    DeployTest::SetUp();
    if (!ready_) return;
    // One World of two VMs: the smallest deploy that still batches disks.
    roster_ = dir_ + "/one.csv";
    support::WriteRoster(roster_, {support::kAlice});
    std::filesystem::create_directories(state_dir_);
    // 64 MiB: room for everything when the filler is gone; the filler
    // decides how full it is.
    ASSERT_EQ(::mount("tmpfs", state_dir_.c_str(), "tmpfs", 0, "size=64m,mode=0755"), 0)
        << state_dir_ << ": " << std::strerror(errno);
    mounted_ = true;
    filler_ = state_dir_ + "/filler";
  }

  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove(filler_, ec);
    if (ready_) it::Worlds(Global({"destroy", lab_file_, "--delete-student-data"}));
    if (mounted_ && ::umount2(state_dir_.c_str(), MNT_DETACH) != 0) {
      ADD_FAILURE() << "umount " << state_dir_ << ": " << std::strerror(errno);
    }
    temp_.reset();
  }

  uint64_t FreeBytes() {
    struct statvfs st;
    EXPECT_EQ(::statvfs(state_dir_.c_str(), &st), 0);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  // Grows the filler until only `leave` bytes are free (tmpfs counts pages).
  void FillLeaving(uint64_t leave) {
    int fd = ::open(filler_.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    // A deploy writing meanwhile can take pages between the look at the free
    // space and the allocation (ENOSPC): look again and take what is left.
    int rc = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
      uint64_t now = std::filesystem::file_size(filler_);
      uint64_t free = FreeBytes();
      if (free <= leave) break;
      rc = ::posix_fallocate(fd, 0, static_cast<off_t>(now + free - leave));
      if (rc != ENOSPC) break;
    }
    EXPECT_EQ(rc, 0) << std::strerror(rc);
    ::close(fd);
    EXPECT_LE(FreeBytes(), leave + 4096);
  }

  void FreeSpace() { std::filesystem::remove(filler_); }

  // The state dir is full on purpose: each deploy must meet the full disk,
  // not stop at the capacity check that sees it coming.
  static process::EnvChanges CapacityWarnOnly() { return {{"WORLDS_CAPACITY_CHECK", "warn"}}; }

  it::Run Worlds(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"timeout", kDeployTimeout, WORLDS_BINARY};
    std::vector<std::string> all = Global(args);
    argv.insert(argv.end(), all.begin(), all.end());
    process::RunOptions options;
    options.env = CapacityWarnOnly();
    process::Result result = process::Run(argv, options);
    return {result.exit_code, result.out, result.err};
  }

  it::Run DeployOne() {
    return Worlds({"deploy", lab_file_, "--roster", roster_, "--jobs", "1"});
  }

  // PRAGMA integrity_check of state.db, read-only, through SQLite itself.
  std::string IntegrityCheck() {
    std::string path = core::StateDbPath(state_dir_);
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    if (rc != SQLITE_OK) return "open failed: " + std::string(sqlite3_errstr(rc));
    std::string result;
    auto collect = [](void* out, int columns, char** values, char**) {
      for (int i = 0; i < columns; ++i) {
        *static_cast<std::string*>(out) += values[i] ? values[i] : "NULL";
      }
      return 0;
    };
    char* error = nullptr;
    rc = sqlite3_exec(db.get(), "PRAGMA integrity_check", collect, &result, &error);
    if (rc != SQLITE_OK) {
      result = "integrity_check failed: " + std::string(error ? error : sqlite3_errstr(rc));
      sqlite3_free(error);
    }
    return result;
  }

  // `worlds status --json` for the lab, and every VM it calls ready checked
  // independently: domain defined, `clean` its only snapshot, overlay
  // passing `qemu-img check`. Returns how many were ready.
  int CheckReadyClaims() {
    it::Run status = Worlds({"status", "--lab", Lab(), "--json"});
    EXPECT_EQ(status.code, 0) << status.err;
    nlohmann::json rows = nlohmann::json::parse(status.out, nullptr, false);
    EXPECT_TRUE(rows.is_array()) << status.out;
    if (!rows.is_array()) return 0;
    int ready = 0;
    for (const nlohmann::json& row : rows) {
      if (row.value("phase", "") != "ready") continue;
      ++ready;
      std::string domain = row.value("domain", "");
      std::string overlay = row.value("overlay", "");
      it::Run snaps = it::Exec(
          {"virsh", "-q", "-c", "qemu:///system", "snapshot-list", domain, "--name"});
      EXPECT_EQ(snaps.code, 0) << domain << " reported ready: " << snaps.err;
      EXPECT_EQ(snaps.out.substr(0, snaps.out.find_last_not_of("\n") + 1), "clean")
          << domain << " reported ready";
      it::Run check = it::Exec({"qemu-img", "check", "-U", overlay});
      EXPECT_EQ(check.code, 0) << overlay << " reported ready:\n" << check.out << check.err;
    }
    return ready;
  }

  // What a converged one-World deploy leaves: both domains with `clean`,
  // both overlays sound, and a re-run with nothing to do.
  void ExpectConverged() {
    std::set<std::string> expected = {core::DomainName(Lab(), "alice", "router"),
                                      core::DomainName(Lab(), "alice", "client")};
    EXPECT_EQ(Domains(), expected);
    EXPECT_EQ(CheckReadyClaims(), 2);
    it::Run again = DeployOne();
    EXPECT_EQ(again.code, 0) << again.out << again.err;
    EXPECT_NE(again.out.find("Nothing to do: 1 World(s), 2 VM(s) already deployed"),
              std::string::npos)
        << again.out;
  }

  // Files left in the overlay dir that are neither overlays nor console logs
  // (a temporary of a half-created overlay).
  std::vector<std::string> StrayFiles() {
    std::vector<std::string> out;
    std::string dir = core::OverlayDir(state_dir_, Lab(), "alice");
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::string name = entry.path().filename();
      bool overlay = name.size() > 6 && name.compare(name.size() - 6, 6, ".qcow2") == 0;
      bool log = name.find(".console.log") != std::string::npos;
      if (!overlay && !log) out.push_back(name);
    }
    return out;
  }

  std::string filler_;
  bool mounted_ = false;
};

// The state dir has room for the fresh overlays (~200 KiB each) but not for
// what the appliance writes into them: the deploy fails at customization,
// fast (not a paused appliance waiting forever), with the reason and the
// place, and nothing is recorded or reported as ready.
TEST_F(DiskFullTest, NearlyFullFailsClearlyThenConvergesWhenFreed) {
  // state.db exists first, so the space left is the overlays' to use.
  it::Run status = Worlds({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  FillLeaving(600 << 10);

  auto start = std::chrono::steady_clock::now();
  it::Run deploy = DeployOne();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string text = deploy.out + deploy.err;
  ASSERT_NE(deploy.code, 124) << "the deploy hung on a full disk:\n" << text;
  EXPECT_EQ(deploy.code, 1) << text;
  std::string dir = core::OverlayDir(state_dir_, Lab(), "alice");
  for (const char* vm : {"router", "client"}) {
    std::string domain = core::DomainName(Lab(), "alice", vm);
    EXPECT_NE(text.find("FAILED " + domain + " (customize): No space left on device: " +
                        dir + " has "),
              std::string::npos)
        << text;
  }
  EXPECT_NE(text.find("customizing 2 disk(s) needs about 4096 KiB (free space there, "
                      "then deploy again)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Deployed with failures: 1 World(s), 2 VM(s): 0 built now"),
            std::string::npos)
      << text;
  EXPECT_LT(seconds, 120) << "refused before an appliance launch";
  EXPECT_EQ(IntegrityCheck(), "ok");
  EXPECT_EQ(CheckReadyClaims(), 0);
  EXPECT_TRUE(Domains().empty()) << "a failed VM leaves no domain";
  EXPECT_TRUE(StrayFiles().empty()) << StrayFiles().front();

  FreeSpace();
  it::Run rerun = DeployOne();
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("2 built now"), std::string::npos) << rerun.out;
  ExpectConverged();
  EXPECT_EQ(IntegrityCheck(), "ok");
}

// The space runs out after the check before the appliance launch (another
// writer filled the disk): the appliance's writes fail and QEMU must report
// them, not pause the appliance, so the deploy ends, says why, and records
// nothing as ready.
TEST_F(DiskFullTest, SpaceRunningOutDuringCustomizationFailsNotHangs) {
  it::Run status = Worlds({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  std::vector<std::string> args =
      Global({"deploy", lab_file_, "--roster", roster_, "--jobs", "1"});
  args.insert(args.begin(), {"timeout", kDeployTimeout, WORLDS_BINARY});
  // stderr in a file beside the state dir (which fills up), read after stdout.
  const std::string err_path = dir_ + "/deploy.err";
  process::Child child = process::Spawn(args, {err_path, CapacityWarnOnly()});
  child.CloseStdin();  // the deploy reads no input
  // Filled once both overlays exist: the appliance is still booting then.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline &&
         !(std::filesystem::exists(Overlay("alice", "router")) &&
           std::filesystem::exists(Overlay("alice", "client")))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FillLeaving(0);
  std::string text;
  while (std::optional<std::string> line = child.ReadLine()) text += *line + "\n";
  const int exit_code = child.Wait().exit_code;
  text += it::ReadFile(err_path);
  ASSERT_NE(exit_code, 124) << "the deploy hung on a full disk:\n" << text;
  // 1: the VMs failed; 3: recording a phase failed too (the parent's store
  // is on the same full disk), reported as such, not a crash.
  EXPECT_TRUE(exit_code == 1 || exit_code == 3) << text;
  EXPECT_EQ(text.find("terminate called"), std::string::npos) << text;
  // Either the check before the launch saw the filler, or the appliance's
  // writes failed (an I/O error in the guest) and the failure says why.
  std::string dir = core::OverlayDir(state_dir_, Lab(), "alice");
  for (const char* vm : {"router", "client"}) {
    size_t failed = text.find("FAILED " + core::DomainName(Lab(), "alice", vm) +
                              " (customize): ");
    ASSERT_NE(failed, std::string::npos) << text;
    EXPECT_NE(text.find("No space left on device: " + dir + " has ", failed),
              std::string::npos)
        << text;
  }
  if (exit_code == 3) {
    EXPECT_NE(text.find("worlds: " + core::StateDbPath(state_dir_) + ": "), std::string::npos)
        << text;
    EXPECT_NE(text.find("database or disk is full (free disk space)"), std::string::npos)
        << text;
  }
  FreeSpace();
  EXPECT_EQ(IntegrityCheck(), "ok");
  EXPECT_EQ(CheckReadyClaims(), 0) << text;
  EXPECT_TRUE(StrayFiles().empty()) << StrayFiles().front();
  it::Run rerun = DeployOne();
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  ExpectConverged();
}

// A deployed lab, then no byte left for SQLite: even opening state.db needs
// its -shm file (WAL), so every command stops at once with the reason and
// the database's path, before changing anything; the database stays sound,
// the deployed VMs stay ready, and after freeing space a re-run has nothing
// to do.
TEST_F(DiskFullTest, FullWhenTheStoreWritesFailsClearlyAndKeepsTheDatabase) {
  it::Run deploy = DeployOne();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  FillLeaving(0);
  EXPECT_LT(FreeBytes(), 4096u);

  const std::string where = "worlds: " + core::StateDbPath(state_dir_) + ": ";
  const std::string why = "(No space left on device) (free disk space)\n";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"deploy", lab_file_, "--roster", roster_, "--jobs", "1"},
        {"destroy", lab_file_},
        {"status", "--lab", Lab()}}) {
    SCOPED_TRACE(args[0]);
    it::Run full = Worlds(args);
    std::string text = full.out + full.err;
    ASSERT_NE(full.code, 124) << "hung:\n" << text;
    EXPECT_EQ(full.code, 3) << "the host's fault, not the input's:\n" << text;
    EXPECT_EQ(full.err.rfind(where, 0), 0u) << text;
    EXPECT_NE(full.err.find(why), std::string::npos) << text;
    EXPECT_EQ(full.err.find("terminate called"), std::string::npos) << text;
  }
  EXPECT_EQ(Domains().size(), 2u) << "destroy stopped before removing anything";

  FreeSpace();
  EXPECT_EQ(IntegrityCheck(), "ok");
  ExpectConverged();
}

}  // namespace

// The Debian package as a lab host's admin meets it: `apt install` of the
// .deb tools/package built, an upgrade from the previous release with a
// World deployed, and the installed layout. Runs as root and changes the
// host (a package, two system groups, /etc/shells), so it undoes all of it
// at the end: the package is purged and the groups it made are removed.
//
// Needs env WORLDS_PACKAGE_DEB (this tree's package) and
// WORLDS_OLD_PACKAGE_DEB (the previous release's), which tools/test sets.
#include <grp.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/names.h"
#include "integration/harness.h"
#include "support/roster.h"
#include "support/temp_dir.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool GroupExists(const std::string& name) { return ::getgrnam(name.c_str()) != nullptr; }

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// `dpkg-deb -f DEB Version`.
std::string DebVersion(const std::string& deb) {
  return Trim(it::Exec({"dpkg-deb", "-f", deb, "Version"}).out);
}

// The installed version of package worlds, "" when it is not installed.
std::string InstalledVersion() {
  it::Run run = it::Exec({"dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", "worlds"});
  if (run.code != 0 || run.out.rfind("ii ", 0) != 0) return "";
  return Trim(run.out.substr(3));
}

it::Run Apt(std::vector<std::string> args) {
  args.insert(args.begin(), {"apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold"});
  process::Result result =
      process::Run(args, {std::nullopt, {{"DEBIAN_FRONTEND", "noninteractive"}}});
  return {result.exit_code, result.out, result.err};
}

const std::vector<std::string> kGroups = {"worlds-admin", "worlds-students"};
// Present while this test has the package installed: tools/test's clean-up
// purges the package when a crashed run left it behind.
const char* kInstalledMarker = "/run/worlds-it-package-installed";

class PackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const std::string& group : kGroups) {
      if (!GroupExists(group)) groups_made_.insert(group);
    }
    if (!InstalledVersion().empty() && it::InCi()) Apt({"purge", "worlds"});
  }

  static void TearDownTestSuite() {
    if (!installed_by_us_) return;
    Apt({"purge", "worlds"});
    for (const std::string& group : groups_made_) {
      if (GroupExists(group)) it::Exec({"groupdel", group});
    }
    std::filesystem::remove(kInstalledMarker);
  }

  void SetUp() override {
    deb_ = Env("WORLDS_PACKAGE_DEB");
    old_deb_ = Env("WORLDS_OLD_PACKAGE_DEB");
    IT_REQUIRE(std::filesystem::exists(deb_),
               "WORLDS_PACKAGE_DEB names this tree's package (tools/package; tools/test sets it)");
    IT_REQUIRE(std::filesystem::exists(old_deb_),
               "WORLDS_OLD_PACKAGE_DEB names the previous release's package (tools/test builds "
               "it once per machine)");
    IT_REQUIRE(installed_by_us_ || InstalledVersion().empty(),
               "package worlds is installed on this host already; the test would replace it");
    IT_REQUIRE(!it::TestImageDir().empty(), "tiny test image (tools/build-test-image)");
  }

  // apt install ./worlds_*.deb, with its dependencies from apt's sources.
  void Install(const std::string& deb) {
    installed_by_us_ = true;
    std::ofstream(kInstalledMarker) << "worlds\n";
    it::Run run = Apt({"install", std::filesystem::absolute(deb).string()});
    ASSERT_EQ(run.code, 0) << run.out << run.err;
    ASSERT_EQ(InstalledVersion(), DebVersion(deb)) << run.out << run.err;
  }

  void EnsureNewInstalled() {
    if (InstalledVersion() != DebVersion(deb_)) Install(deb_);
  }

  static it::Run Installed(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/worlds");
    return it::Exec(args);
  }

  std::string deb_;
  std::string old_deb_;
  static inline bool installed_by_us_ = false;
  static inline std::set<std::string> groups_made_;
};

// One World deployed by the previous release survives `apt install` of
// this one: state.db is migrated (its schema_history says by which
// version), the overlays are the same files, the domains the same domains.
TEST_F(PackageTest, UpgradeKeepsStateMigratesItAndKeepsOverlaysAndDomains) {
  const std::string old_version = DebVersion(old_deb_);
  const std::string new_version = DebVersion(deb_);
  ASSERT_NE(old_version, new_version);
  ASSERT_NO_FATAL_FAILURE(Install(old_deb_));
  EXPECT_EQ(Trim(Installed({"--version"}).out), "worlds " + old_version);

  // Mode 0755 under /tmp: QEMU runs as another user and opens the overlays.
  support::TempDir dir("worlds-it-pkg-", 0755, "/tmp");
  const std::string lab = "itpkg";
  const std::string lab_file = dir.File(lab + ".yaml");
  support::WriteFile(lab_file, support::RenameLab(
                                   it::ReadFile(it::SourcePath("labs/netlab.yaml")), lab));
  const std::string roster =
      support::WriteRoster(dir.File("roster.csv"), {{"wpkg1", "Pat Kage", "lab-a"}});
  const std::string state = dir.File("state");
  const std::vector<std::string> global = {"--state-dir", state, "--image-dir",
                                           it::TestImageDir(), "--accel", "qemu"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), global.begin(), global.end());
    return args;
  };

  it::Run deploy = Installed(with({"deploy", lab_file, "--roster", roster}));
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  const std::string db = core::StateDbPath(state);
  EXPECT_EQ(Trim(it::Exec({"sqlite3", db, "PRAGMA user_version"}).out), "3");

  // What must survive: each overlay (its inode) and each domain (its UUID).
  std::map<std::string, ino_t> overlays;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(state + "/worlds")) {
    if (entry.path().extension() != ".qcow2") continue;
    struct stat st = {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    overlays[entry.path().string()] = st.st_ino;
  }
  ASSERT_EQ(overlays.size(), 2u) << deploy.out;
  std::map<std::string, std::string> uuids;
  for (const char* vm : {"router", "client"}) {
    std::string domain = core::DomainName(lab, "wpkg1", vm);
    uuids[domain] = Trim(it::Exec({"virsh", "-c", "qemu:///system", "domuuid", domain}).out);
    ASSERT_FALSE(uuids[domain].empty()) << domain;
  }

  ASSERT_NO_FATAL_FAILURE(Install(deb_));
  EXPECT_EQ(Trim(Installed({"--version"}).out), "worlds " + new_version);

  it::Run config = Installed(with({"config"}));
  EXPECT_EQ(config.code, 0) << config.err;
  EXPECT_NE(config.out.find("migrated to 4 by worlds " + new_version), std::string::npos)
      << config.out;
  EXPECT_EQ(Trim(it::Exec({"sqlite3", db, "PRAGMA user_version"}).out), "4");
  for (const auto& [path, inode] : overlays) {
    struct stat st = {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_ino, inode) << path << " was replaced";
  }
  for (const auto& [domain, uuid] : uuids) {
    EXPECT_EQ(Trim(it::Exec({"virsh", "-c", "qemu:///system", "domuuid", domain}).out), uuid);
    EXPECT_EQ(Trim(it::Exec({"virsh", "-c", "qemu:///system", "snapshot-list", domain,
                             "--name"})
                       .out),
              "clean")
        << domain;
  }
  it::Run status = Installed(with({"status", "--lab", lab}));
  EXPECT_EQ(status.code, 0) << status.out << status.err;
  EXPECT_EQ(std::regex_search(status.out, std::regex("kept-overlay|incomplete|missing|unreadable")),
            false)
      << status.out;
  EXPECT_NE(status.out.find("ready"), std::string::npos) << status.out;
  // A re-run of the deploy by the new version finds nothing to do.
  it::Run again = Installed(with({"deploy", lab_file, "--roster", roster}));
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("0 to build, 0 to re-define, 2 up to date"), std::string::npos)
      << again.out;

  it::Run destroy = Installed(with({"destroy", lab_file, "--delete-student-data"}));
  EXPECT_EQ(destroy.code, 0) << destroy.out << destroy.err;
}

// Where the package puts things, and what its postinst sets up.
TEST_F(PackageTest, InstalledLayoutGroupsStateDirAndShell) {
  ASSERT_NO_FATAL_FAILURE(EnsureNewInstalled());
  std::string files = it::Exec({"dpkg", "-L", "worlds"}).out;
  for (const char* path :
       {"/usr/bin/worlds", "/usr/bin/worlds-menu", "/lib/systemd/system/worlds-broker.service",
        "/lib/systemd/system/worlds-broker.socket", "/etc/ssh/sshd_config.d/worlds.conf",
        "/etc/libvirt/hooks/network.d/worlds", "/etc/worlds/worlds.conf",
        "/usr/share/man/man1/worlds.1.gz", "/usr/share/man/man1/worlds-menu.1.gz",
        "/usr/share/man/man5/worlds.conf.5.gz",
        "/usr/share/bash-completion/completions/worlds",
        "/usr/share/doc/worlds/examples/worlds.conf", "/usr/share/worlds/labs/netlab.yaml",
        "/usr/share/worlds/labs/rosters/sample.csv"}) {
    EXPECT_NE(files.find(std::string(path) + "\n"), std::string::npos) << path;
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  // The admin's files under /etc are conffiles: an upgrade keeps their edits.
  std::string conffiles = it::ReadFile("/var/lib/dpkg/info/worlds.conffiles");
  for (const char* path : {"/etc/worlds/worlds.conf", "/etc/ssh/sshd_config.d/worlds.conf",
                           "/etc/libvirt/hooks/network.d/worlds"}) {
    EXPECT_NE(conffiles.find(path), std::string::npos) << conffiles;
  }
  for (const std::string& group : kGroups) EXPECT_TRUE(GroupExists(group)) << group;
  struct stat st = {};
  ASSERT_EQ(::stat("/var/lib/worlds", &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_NE(it::ReadFile("/etc/shells").find("/usr/bin/worlds-menu\n"), std::string::npos);
  // The students' shell holds neither libvirt nor SQLite nor libguestfs.
  std::string libs = it::Exec({"ldd", "/usr/bin/worlds-menu"}).out;
  EXPECT_EQ(std::regex_search(libs, std::regex("libvirt|sqlite|guestfs")), false) << libs;
  // The installed config file changes nothing: every line is a comment.
  it::Run config = Installed({"config"});
  EXPECT_EQ(config.code, 0) << config.err;
  EXPECT_NE(config.out.find("config file: /etc/worlds/worlds.conf (read)"), std::string::npos)
      << config.out;
  EXPECT_EQ(config.out.find(" file /etc/worlds"), std::string::npos) << config.out;
  // The units as systemd reads them, with the installed program in place.
  it::Run verify = it::Exec({"systemd-analyze", "verify", "--man=no",
                             "/lib/systemd/system/worlds-broker.socket",
                             "/lib/systemd/system/worlds-broker.service"});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  EXPECT_EQ(Trim(verify.out + verify.err), "") << "systemd-analyze verify had remarks";
}

}  // namespace

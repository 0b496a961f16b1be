// The Debian package as a lab host's admin meets it: `apt install` of the
// .deb tools/package built, an upgrade from the previous release with a
// World deployed, the installed layout, and the installed units, sshd
// drop-in, `users sync` and menu serving a student over SSH. Runs as root
// and changes the host (a package, two system groups, /etc/shells, a
// student account, /run/worlds), so it undoes all of it: the account, the
// broker and its socket go at the end of their case, the package is purged
// and the groups it made are removed at the end of the suite.
//
// Needs env WORLDS_PACKAGE_DEB (this tree's package) and
// WORLDS_OLD_PACKAGE_DEB (the previous release's), which tools/test sets.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "broker_client/client.h"
#include "core/error.h"
#include "core/names.h"
#include "integration/harness.h"
#include "integration/ssh_attempts.h"
#include "integration/ssh_harness.h"
#include "menu/model.h"
#include "process/process.h"
#include "store/migrations.h"
#include "support/accounts.h"
#include "support/roster.h"
#include "support/temp_dir.h"
#include "virt/hypervisor.h"

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

// The value of the first `key`= line of a unit file ("" when none).
std::string UnitSetting(const std::string& unit, const std::string& key) {
  std::istringstream in(unit);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + "=", 0) == 0) return Trim(line.substr(key.size() + 1));
  }
  return "";
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
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

  // What the third case started, stopped in the reverse order whatever
  // happened: the student's ssh clients, sshd, the account, the broker and
  // its socket.
  void TearDown() override {
    if (!tmux_.empty()) it::Terminal::KillServer(tmux_);
    if (sshd_) sshd_->Stop();
    accounts_.RemoveAll();
    if (broker_) {
      broker_->Kill(SIGTERM);
      broker_->Wait();
      broker_.reset();
    }
    if (!socket_.empty()) {
      std::filesystem::remove(socket_);
      if (made_socket_dir_) std::filesystem::remove(std::filesystem::path(socket_).parent_path());
    }
    if (!notes_.empty() || !attempts_.empty()) {
      std::cout << "With the installed package (Debian's default sshd_config plus the installed "
                   "drop-in), a student tried:\n";
      for (const auto& [what, got] : notes_) std::cout << "  - " << what << ": " << got << "\n";
      it::PrintAttempts(std::cout, attempts_);
      if (!stopped_.empty()) std::cout << "  - " << stopped_ << "\n";
    }
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
  // The third case's, the temp dir last to go.
  std::optional<support::TempDir> temp_;
  std::string tmux_, socket_;
  bool made_socket_dir_ = false;
  std::unique_ptr<it::SshServer> sshd_;
  support::StudentAccounts accounts_;
  std::optional<process::Child> broker_;
  std::vector<std::pair<std::string, std::string>> notes_;
  std::vector<it::SshAttempt> attempts_;
  std::string stopped_;
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
  const std::string latest = std::to_string(store::LatestSchemaVersion());
  EXPECT_NE(config.out.find("migrated to " + latest + " by worlds " + new_version),
            std::string::npos)
      << config.out;
  EXPECT_EQ(Trim(it::Exec({"sqlite3", db, "PRAGMA user_version"}).out), latest);
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
  // The first re-run by the new version moves the old version's domains
  // into their World's CPU partition (0.2.0's deploy puts each World in
  // one): it re-defines them over the kept overlays, builds nothing, and
  // keeps every overlay and its clean snapshot.
  it::Run again = Installed(with({"deploy", lab_file, "--roster", roster}));
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("0 VM(s) to build, 2 to re-define over kept overlays"),
            std::string::npos)
      << again.out;
  for (const auto& [path, inode] : overlays) {
    struct stat st = {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_ino, inode) << path << " was replaced by the re-define";
  }
  for (const auto& [domain, uuid] : uuids) {
    EXPECT_EQ(Trim(it::Exec({"virsh", "-c", "qemu:///system", "snapshot-list", domain,
                             "--name"})
                       .out),
              "clean")
        << domain;
  }
  // The next one finds nothing to do.
  it::Run settled = Installed(with({"deploy", lab_file, "--roster", roster}));
  EXPECT_EQ(settled.code, 0) << settled.out << settled.err;
  EXPECT_NE(settled.out.find("Nothing to do: 1 World(s), 2 VM(s) already deployed"),
            std::string::npos)
      << settled.out;

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
        "/etc/libvirt/hooks/network.d/worlds", "/etc/libvirt/hooks/qemu.d/worlds",
        "/etc/worlds/worlds.conf", "/usr/share/man/man1/worlds.1.gz", "/usr/share/man/man1/worlds-menu.1.gz",
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
                           "/etc/libvirt/hooks/network.d/worlds",
                           "/etc/libvirt/hooks/qemu.d/worlds"}) {
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

// The installed package used as a lab host's admin would, with no systemd
// as PID 1: the broker run from the installed units under
// systemd-socket-activate (started by the first connection), a student
// made by the installed `worlds users sync`, a real sshd with Debian's
// default config plus the installed drop-in verbatim. The student gets the
// menu, served by that broker, and nothing else.
TEST_F(PackageTest, InstalledUnitsBrokerDropInAndMenuServeAStudentAndNothingElse) {
  ASSERT_NO_FATAL_FAILURE(EnsureNewInstalled());
  const std::string student = "wpkg-ssh1";
  IT_REQUIRE(std::filesystem::exists("/usr/bin/systemd-socket-activate"),
             "systemd-socket-activate (package systemd)");
  IT_REQUIRE(std::filesystem::exists("/usr/bin/setpriv"), "setpriv (package util-linux)");
  IT_REQUIRE(it::HaveSshTools(), "sshd, ssh, ssh-keygen and tmux (openssh-server, tmux)");
  IT_REQUIRE(!it::LookUpAccount(student).exists, "no existing account named " + student);
  try {
    virt::NewLibvirtHypervisor("qemu:///system");
  } catch (const core::Error& e) {
    IT_REQUIRE(false, e.Describe());
  }

  // The units as installed: the socket's path and modes, the service's argv.
  const std::string socket_unit = it::ReadFile("/lib/systemd/system/worlds-broker.socket");
  const std::string service_unit = it::ReadFile("/lib/systemd/system/worlds-broker.service");
  const std::string listen = UnitSetting(socket_unit, "ListenStream");
  const std::string exec_start = UnitSetting(service_unit, "ExecStart");
  ASSERT_EQ(listen.rfind("/", 0), 0u) << "a Unix socket path expected:\n" << socket_unit;
  ASSERT_EQ(exec_start.find_first_of("\"'\\$%"), std::string::npos)
      << "ExecStart= needs systemd's quoting or specifiers, which this test does not do: "
      << exec_start;
  const std::vector<std::string> command = Words(exec_start);
  ASSERT_FALSE(command.empty()) << service_unit;
  ASSERT_EQ(command[0].rfind("/", 0), 0u) << "ExecStart= without a prefix (-, @, +, !) expected";
  // The installed menu connects to the broker's default socket, so the
  // socket unit must listen there for students to reach the broker.
  it::Run config = Installed({"config"});
  std::smatch menu_socket;
  ASSERT_TRUE(std::regex_search(config.out, menu_socket, std::regex("broker-socket +(\\S+)")))
      << config.out << config.err;
  EXPECT_EQ(menu_socket[1].str(), listen) << config.out;
  IT_REQUIRE(!std::filesystem::exists(listen),
             "nothing at " + listen + " (a broker of this host's, or one a crashed run left: "
             "stop it and remove the socket)");
  socket_ = listen;  // ours from here on: TearDown removes it

  // What systemd does for worlds-broker.socket: the directory (DirectoryMode=),
  // the listening socket (ListenStream=, here made by systemd-socket-activate)
  // and its mode (SocketMode=). The service's own environment: none but a
  // state dir of the test's, so the host's /var/lib/worlds is not touched.
  // The unit's empty capability bounding set is kept (setpriv).
  // Mode 0755: sshd runs the student's menu, which must reach its files.
  temp_.emplace("worlds-it-pkgssh-", 0755, "/tmp");
  const support::TempDir& dir = *temp_;
  // The state dir as the postinst makes /var/lib/worlds.
  const std::string state = dir.File("state");
  ASSERT_EQ(::mkdir(state.c_str(), 0751), 0) << state;
  const std::string log = dir.File("broker.log");
  const std::filesystem::path socket_dir = std::filesystem::path(socket_).parent_path();
  if (!std::filesystem::exists(socket_dir)) {
    std::filesystem::create_directories(socket_dir);
    made_socket_dir_ = true;
    ::chmod(socket_dir.c_str(), std::stoi(UnitSetting(socket_unit, "DirectoryMode"), nullptr, 8));
  }
  std::vector<std::string> argv = {"setpriv", "--bounding-set=-all", "--inh-caps=-all", "--",
                                   "systemd-socket-activate", "-l", socket_, "-E",
                                   "WORLDS_STATE_DIR=" + state, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  process::SpawnOptions options;
  options.stderr_file = log;
  broker_.emplace(process::Spawn(argv, options));
  for (int i = 0; i < 100 && !std::filesystem::exists(socket_); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(std::filesystem::exists(socket_)) << it::ReadFile(log);
  ASSERT_EQ(::chmod(socket_.c_str(), std::stoi(UnitSetting(socket_unit, "SocketMode"), nullptr, 8)),
            0);
  // Nothing has connected yet: the broker has not run.
  EXPECT_EQ(it::ReadFile(log).find("worlds broker:"), std::string::npos) << it::ReadFile(log);
  broker::Reply whoami = broker::Client(socket_).Call({broker::Op::kWhoami, ""});
  EXPECT_TRUE(whoami.ok) << whoami.error << "\n" << it::ReadFile(log);
  EXPECT_EQ(whoami.user, "root");
  EXPECT_NE(it::ReadFile(log).find("worlds broker: listening on " + socket_ +
                                   " (socket inherited from systemd;"),
            std::string::npos)
      << it::ReadFile(log);
  notes_.emplace_back(exec_start + " under systemd-socket-activate -l " + socket_,
                      whoami.ok ? "started by the first connection, answered whoami (" +
                                      whoami.user + ")"
                                : "NO ANSWER: " + whoami.error);

  // The student, by the installed program with its default shell.
  tmux_ = "worlds-it-pkgssh-" + std::to_string(::getpid());
  sshd_ = std::make_unique<it::SshServer>(dir.File("sshd"),
                                          it::ReadFile("/etc/ssh/sshd_config.d/worlds.conf"));
  const std::string key = sshd_->MakeClientKey(student, dir.File("pubkeys"));
  const std::string roster =
      support::WriteRoster(dir.File("roster.csv"), {{student, "Pat Kage", "lab-a"}});
  it::Run sync = Installed({"--state-dir", state, "users", "sync", "--roster", roster,
                            "--keys-dir", dir.File("pubkeys")});
  if (it::LookUpAccount(student).exists) accounts_.Adopt(student);
  ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
  const passwd* pw = ::getpwnam(student.c_str());
  ASSERT_NE(pw, nullptr);
  EXPECT_STREQ(pw->pw_shell, "/usr/bin/worlds-menu");
  const std::string groups = Trim(it::Exec({"id", "-nG", student}).out);
  EXPECT_NE((" " + groups + " ").find(" worlds-students "), std::string::npos) << groups;
  notes_.emplace_back("/usr/bin/worlds users sync", "shell " + std::string(pw->pw_shell) +
                                                        ", groups " + groups);

  std::string why;
  ASSERT_TRUE(sshd_->Start(&why)) << why;
  {
    it::Terminal login(tmux_, "login", sshd_->SshArgv(student, key, {"-tt"}), dir.path());
    ASSERT_TRUE(login.started()) << login.start_error();
    bool menu = login.WaitForScreen("Worlds - " + student, 30);
    // The broker's answer to the menu's list: no VMs for this student.
    bool listed = menu && login.WaitForScreen(menu::kNoVmsText, 10);
    std::string screen = login.Screen();
    bool unavailable = screen.find("cannot reach the broker") != std::string::npos;
    notes_.emplace_back("ssh -tt (interactive login)",
                        !menu          ? "NO MENU: " + screen
                        : unavailable ? "the menu, but \"cannot reach the broker\""
                        : listed      ? "the menu (\"Worlds - " + student + "\", \"" +
                                       menu::kNoVmsText + "\" from the broker)"
                                      : "the menu, without the broker's list: " + screen);
    EXPECT_TRUE(menu) << screen << sshd_->Log();
    EXPECT_TRUE(listed) << screen << it::ReadFile(log);
    EXPECT_FALSE(unavailable) << screen << it::ReadFile(log);
    login.SendKeys({"q"});
    EXPECT_TRUE(login.WaitForExit(10)) << login.Screen();
  }

  attempts_ = it::TryEverythingButTheMenu(*sshd_, student, key, tmux_, dir.path());
  for (const it::SshAttempt& a : attempts_) EXPECT_TRUE(a.refused) << a.attempt << ": " << a.got;

  // SIGTERM, as `systemctl stop` sends it: a clean exit.
  broker_->Kill(SIGTERM);
  process::Status stopped = broker_->Wait();
  EXPECT_TRUE(stopped.ok()) << stopped.Describe() << "\n" << it::ReadFile(log);
  EXPECT_NE(it::ReadFile(log).find("worlds broker: stopped"), std::string::npos)
      << it::ReadFile(log);
  stopped_ = "SIGTERM to the broker (as systemctl stop): it " + stopped.Describe();
}

}  // namespace

// The admin's commands against real libvirt and real Unix accounts:
// start/revert/events on a deployed lab, and `worlds users sync`.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "accounts/sync.h"
#include "deploy/lock.h"
#include "integration/deploy_fixture.h"
#include "support/accounts.h"
#include "support/roster.h"
#include "support/temp_dir.h"

namespace {

std::string Virsh(std::vector<std::string> args) {
  args.insert(args.begin(), {"virsh", "-q", "-c", "qemu:///system"});
  std::string out = it::Exec(args).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class AdminTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "admin"; }
};

TEST_F(AdminTest, StartOneRevertAllAndTheAuditTrail) {
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  const std::string router = core::DomainName(Lab(), "alice", "router");

  it::Run start = it::Worlds(Global({"start", lab_file_, "--owner", "alice", "--vm", "router"}));
  ASSERT_EQ(start.code, 0) << start.out << start.err;
  EXPECT_EQ(Virsh({"domstate", router}), "running");
  EXPECT_NE(start.out.find("[start] 1/1 " + router + ": started ("), std::string::npos)
      << start.out;

  it::Run typo = it::Worlds(Global({"start", Lab(), "--owner", "alcie"}));
  EXPECT_NE(typo.code, 0);
  EXPECT_EQ(typo.err, "worlds: " + Lab() +
                          ": no World owned by 'alcie' (did you mean 'alice'? known owners: "
                          "alice, bob, carol)\n");

  it::Run revert = it::Worlds(Global({"revert", Lab(), "--all"}));
  ASSERT_EQ(revert.code, 0) << revert.out << revert.err;
  std::cout << revert.out;
  EXPECT_NE(revert.out.find("[revert] 6/6 "), std::string::npos) << revert.out;
  EXPECT_NE(revert.out.find(router + ": reverted to clean (was running) ("), std::string::npos)
      << revert.out;
  EXPECT_TRUE(std::regex_search(
      revert.out, std::regex("\nReverted 6/6 VM\\(s\\) of lab '" + Lab() +
                             "' to clean in [0-9]+\\.[0-9]s \\([0-9]+ job\\(s\\)\\)\\.\n$")))
      << revert.out;
  for (const std::string& domain : ExpectedDomains()) {
    EXPECT_EQ(Virsh({"domstate", domain}), "shut off") << domain;
    EXPECT_EQ(Virsh({"snapshot-list", domain, "--name"}), "clean") << domain;
  }

  it::Run events = it::Worlds(Global({"events", "--owner", "alice"}));
  ASSERT_EQ(events.code, 0) << events.err;
  std::cout << events.out;
  const std::string uid = std::to_string(::getuid());
  auto row = [&](const std::string& action, const std::string& detail) {
    return std::regex("\n[0-9T:.Z-]+ +" + uid + " +root +" + action + " +" + router +
                      " +ok +" + std::regex_replace(detail, std::regex("[()]"), "\\$&") + "\n");
  };
  EXPECT_TRUE(std::regex_search(events.out, row("start", "started"))) << events.out;
  EXPECT_TRUE(std::regex_search(events.out, row("revert", "reverted to clean (was running)")))
      << events.out;
  EXPECT_EQ(events.out.find("-bob-"), std::string::npos) << "only alice's";

  // While a deploy changes alice's World (holding its lock, as deploy::Deploy
  // does), the admin's revert of it is refused the way a student's is, and
  // exits 3: the host is busy, nothing failed.
  {
    deploy::WorldLocks deploying = deploy::LockWorlds(
        state_dir_, Lab(), std::set<std::string>{"alice"}, "worlds deploy");
    Virsh({"start", router});
    it::Run busy = it::Worlds(Global({"revert", Lab(), "--owner", "alice", "--vm", "router"}));
    EXPECT_EQ(busy.code, 3) << busy.out << busy.err;
    EXPECT_NE(busy.out.find("FAILED " + router + ": the World of 'alice' in lab '" + Lab() +
                            "' is being changed by pid " + std::to_string(::getpid()) +
                            ": worlds deploy; try again when it finishes\n"),
              std::string::npos)
        << busy.out;
    EXPECT_EQ(Virsh({"domstate", router}), "running") << "not reverted";
  }
  it::Run after = it::Worlds(Global({"revert", Lab(), "--owner", "alice", "--vm", "router"}));
  EXPECT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_EQ(Virsh({"domstate", router}), "shut off");
}

// Two throwaway accounts with names of their own, removed in TearDown.
class UsersSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IT_REQUIRE(::getuid() == 0, "root (the test creates Unix accounts)");
    std::string suffix = std::to_string(::getpid() % 1000);
    users_ = {"wita" + suffix, "witb" + suffix};
    for (const std::string& user : users_) {
      IT_REQUIRE(::getpwnam(user.c_str()) == nullptr,
                 "no existing account named " + user + " (the test creates and removes it)");
    }
    struct stat st;
    // `users sync` makes them with a home; removed with it in TearDown.
    for (const std::string& user : users_) accounts_.Adopt(user);
    shell_existed_ = ::lstat(kShell, &st) == 0;
    shell_listed_ = Listed();
    student_group_existed_ = ::getgrnam(accounts::kStudentGroup) != nullptr;
    temp_.emplace("worlds-it-users-", 0755, "/tmp");
    dir_ = temp_->path();
    std::filesystem::create_directories(dir_ + "/keys");
    std::ofstream(dir_ + "/keys/" + users_[0] + ".pub") << "ssh-ed25519 AAAAC3Nz" << users_[0] << "\n";
    std::filesystem::create_directories(dir_ + "/keys/" + users_[1]);
    std::ofstream(dir_ + "/keys/" + users_[1] + "/authorized_keys") << "ssh-ed25519 AAAAB " << users_[1] << "\n";
    WriteRoster(users_);
    ready_ = true;
  }

  void TearDown() override {
    if (!ready_) return;
    accounts_.RemoveAll();
    // `users sync` made the students' group when it was missing: gone again
    // once its members are.
    if (!student_group_existed_) it::RemoveGroupIfEmpty(accounts::kStudentGroup);
    // Leave the host's menu shell as we found it.
    if (!shell_existed_) std::filesystem::remove(kShell);
    if (!shell_listed_) it::UnlistShell(kShell);
    temp_.reset();
  }

  static bool Listed() {
    std::istringstream in(it::ReadFile("/etc/shells"));
    for (std::string line; std::getline(in, line);) {
      if (line == kShell) return true;
    }
    return false;
  }

  void WriteRoster(const std::vector<std::string>& users) {
    std::vector<support::Student> students;
    for (const std::string& user : users) students.push_back({user, "Test, " + user, "itg"});
    support::WriteRoster(dir_ + "/roster.csv", students);
  }

  it::Run Sync(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--state-dir", dir_ + "/state", "users", "sync",
                                      "--roster", dir_ + "/roster.csv", "--keys-dir",
                                      dir_ + "/keys"};
    args.insert(args.end(), extra.begin(), extra.end());
    return it::Worlds(args);
  }

  static constexpr const char* kShell = "/usr/local/bin/worlds-menu";
  support::StudentAccounts accounts_;
  std::optional<support::TempDir> temp_;
  std::vector<std::string> users_;
  std::string dir_;
  bool shell_existed_ = false;
  bool shell_listed_ = false;
  bool student_group_existed_ = true;
  bool ready_ = false;
};

TEST_F(UsersSyncTest, CreatesConvergesAndRemovesOnlyWhatItCreated) {
  it::Run first = Sync();
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  std::cout << first.out;
  EXPECT_NE(first.out.find("users sync: created 2, updated 0, unchanged 0, keys installed 2, "
                           "removed 0, failed 0\n"),
            std::string::npos)
      << first.out;
  EXPECT_TRUE(Listed());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::exists(kShell, ec));
  for (const std::string& user : users_) {
    struct passwd* pw = ::getpwnam(user.c_str());
    ASSERT_NE(pw, nullptr) << user;
    EXPECT_EQ(std::string(pw->pw_shell), kShell);
    EXPECT_EQ(std::string(pw->pw_gecos), "Test, " + user);
    std::string keys = std::string(pw->pw_dir) + "/.ssh/authorized_keys";
    struct stat st;
    ASSERT_EQ(::stat(keys.c_str(), &st), 0) << keys;
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_uid, pw->pw_uid);
    ASSERT_EQ(::stat((std::string(pw->pw_dir) + "/.ssh").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    it::Run shadow = it::Exec({"getent", "shadow", user});
    EXPECT_EQ(shadow.out.substr(0, shadow.out.find(':', user.size() + 1)), user + ":*");
  }
  EXPECT_NE(it::ReadFile(std::string(::getpwnam(users_[0].c_str())->pw_dir) +
                         "/.ssh/authorized_keys")
                .find("AAAAC3Nz" + users_[0]),
            std::string::npos);

  it::Run again = Sync();
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out,
            "users sync: created 0, updated 0, unchanged 2, keys installed 0, removed 0, failed 0\n");

  std::string home = ::getpwnam(users_[1].c_str())->pw_dir;
  WriteRoster({users_[0]});
  it::Run remove = Sync({"--remove-missing"});
  ASSERT_EQ(remove.code, 0) << remove.out << remove.err;
  std::cout << remove.out;
  EXPECT_EQ(remove.out, "removed " + users_[1] +
                            "\nusers sync: created 0, updated 0, unchanged 1, keys installed 0, "
                            "removed 1, failed 0\n");
  EXPECT_EQ(::getpwnam(users_[1].c_str()), nullptr);
  EXPECT_FALSE(std::filesystem::exists(home));
  EXPECT_NE(::getpwnam(users_[0].c_str()), nullptr);

  it::Run events = it::Worlds({"--state-dir", dir_ + "/state", "events", "--owner", users_[1]});
  EXPECT_NE(events.out.find("users-sync " + users_[1]), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("removed " + users_[1] + "\n"), std::string::npos) << events.out;
}

}  // namespace

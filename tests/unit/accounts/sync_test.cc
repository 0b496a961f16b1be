#include "accounts/sync.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "support/error_text.h"
#include "support/roster.h"
#include "support/temp_dir.h"
#include "unit/accounts/fake_system_accounts.h"

namespace accounts {
namespace {

using Argv = std::vector<std::string>;
namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    fs::create_directories(dir_ + "/keys");
    fs::create_directories(dir_ + "/home");
    system_ = std::make_unique<FakeSystemAccounts>(dir_ + "/home");
    store_ = store::Store::Open(dir_ + "/state.db");
    WriteRoster("username,full_name,group\n"
                "alice,Alice Martin,lab-a\n"
                "bob,Bob Chen,lab-b\n"
                "carol,\"Smith, Carol\",lab-a\n");
    std::ofstream(dir_ + "/shells") << "# /etc/shells\n/bin/sh\n/bin/bash\n";
    std::ofstream(dir_ + "/worlds") << "binary";
    request_.roster_file = dir_ + "/roster.csv";
    request_.keys_dir = dir_ + "/keys";
    request_.shell = dir_ + "/worlds-menu";
    request_.menu_target = dir_ + "/worlds";
    request_.shells_file = dir_ + "/shells";
  }
  void WriteRoster(const std::string& text) { support::WriteFile(dir_ + "/roster.csv", text); }

  SyncCounts Sync() {
    out_.str("");
    return SyncUsers(*system_, *store_, request_, Actor{0, "root"}, out_);
  }

  std::string LastLine() {
    std::string text = out_.str();
    text.pop_back();
    return text.substr(text.rfind('\n') + 1);
  }

  support::TempDir temp_{"worlds-accounts-"};
  std::string dir_;
  std::unique_ptr<FakeSystemAccounts> system_;
  std::unique_ptr<store::Store> store_;
  SyncRequest request_;
  std::ostringstream out_;
};

TEST_F(SyncTest, CreatesMissingAccountsWithExactArgvAndNoPassword) {
  Sync();
  const std::string shell = dir_ + "/worlds-menu";
  EXPECT_EQ(system_->runs,
            (std::vector<Argv>{
                {"groupadd", "--system", "worlds-students"},
                {"useradd", "--create-home", "--shell", shell, "--groups", "worlds-students",
                 "--comment", "Alice Martin", "alice"},
                {"usermod", "-p", "*", "alice"},
                {"useradd", "--create-home", "--shell", shell, "--groups", "worlds-students",
                 "--comment", "Bob Chen", "bob"},
                {"usermod", "-p", "*", "bob"},
                {"useradd", "--create-home", "--shell", shell, "--groups", "worlds-students",
                 "--comment", "Smith, Carol", "carol"},
                {"usermod", "-p", "*", "carol"},
            }));
  EXPECT_EQ(system_->groups.at("worlds-students").members,
            (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(system_->users.at("carol").password, "*");
  EXPECT_EQ(system_->users.at("carol").full_name, "Smith, Carol");
  EXPECT_EQ(LastLine(),
            "users sync: created 3, updated 0, unchanged 0, keys installed 0, removed 0, failed 0");
  // Recorded: roster rows for the broker, created accounts for --remove-missing.
  ASSERT_TRUE(store_->FindUser("carol"));
  EXPECT_EQ(store_->FindUser("carol")->group, "lab-a");
  EXPECT_EQ(store_->Accounts().size(), 3u);
  // The menu shell is a symlink to this binary and a listed login shell.
  EXPECT_EQ(fs::read_symlink(shell), dir_ + "/worlds");
  EXPECT_EQ(Slurp(dir_ + "/shells"), "# /etc/shells\n/bin/sh\n/bin/bash\n" + shell + "\n");
}

TEST_F(SyncTest, UpdatesChangedLeavesUnchangedAloneAndConverges) {
  const std::string shell = dir_ + "/worlds-menu";
  system_->AddUser("alice", "Alice Martin", shell, "*");        // as wanted
  system_->AddUser("bob", "Bob Chen", "/bin/bash", "$6$xyz");   // wrong shell and password
  system_->AddUser("carol", "Carol Smith", shell, "*");         // renamed in the roster
  system_->groups["worlds-students"] = GroupInfo{"worlds-students", 999, {"alice", "carol"}};
  Sync();
  EXPECT_EQ(system_->runs,
            (std::vector<Argv>{
                {"usermod", "--shell", shell, "--comment", "Bob Chen", "bob"},
                {"usermod", "-p", "*", "bob"},
                {"gpasswd", "-a", "bob", "worlds-students"},
                {"usermod", "--shell", shell, "--comment", "Smith, Carol", "carol"},
            }));
  EXPECT_NE(out_.str().find("updated bob: shell " + shell +
                            ", password field, added to worlds-students\n"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("updated carol: full name\n"), std::string::npos) << out_.str();
  EXPECT_EQ(LastLine(),
            "users sync: created 0, updated 2, unchanged 1, keys installed 0, removed 0, failed 0");
  EXPECT_TRUE(store_->Accounts().empty()) << "none of them was created by Worlds";

  system_->runs.clear();
  Sync();
  EXPECT_TRUE(system_->runs.empty());
  EXPECT_EQ(out_.str(),
            "users sync: created 0, updated 0, unchanged 3, keys installed 0, removed 0, failed 0\n");
}

TEST_F(SyncTest, GivenPasswordHashIsSetInsteadOfTheStar) {
  request_.password_hash = "$6$salt$hash";
  Sync();
  EXPECT_EQ(system_->runs[2], (Argv{"usermod", "-p", "$6$salt$hash", "alice"}));
  EXPECT_EQ(system_->users.at("bob").password, "$6$salt$hash");
}

TEST_F(SyncTest, InstallsKeysWithModesAndReplacesOnlyWhenDifferent) {
  std::ofstream(dir_ + "/keys/alice.pub") << "ssh-ed25519 AAAA alice\n";
  fs::create_directories(dir_ + "/keys/bob");
  std::ofstream(dir_ + "/keys/bob/authorized_keys") << "ssh-ed25519 BBBB bob\n";
  Sync();
  const std::string alice_keys = dir_ + "/home/alice/.ssh/authorized_keys";
  EXPECT_EQ(Slurp(alice_keys), "ssh-ed25519 AAAA alice\n");
  EXPECT_EQ(Mode(alice_keys), 0600);
  EXPECT_EQ(Mode(dir_ + "/home/alice/.ssh"), 0700);
  EXPECT_EQ(Slurp(dir_ + "/home/bob/.ssh/authorized_keys"), "ssh-ed25519 BBBB bob\n");
  EXPECT_FALSE(fs::exists(dir_ + "/home/carol/.ssh"));
  EXPECT_EQ(LastLine(),
            "users sync: created 3, updated 0, unchanged 0, keys installed 2, removed 0, failed 0");

  fs::permissions(alice_keys, fs::perms(0644));  // a loosened mode is fixed quietly
  Sync();
  EXPECT_EQ(Mode(alice_keys), 0600);
  EXPECT_EQ(LastLine(),
            "users sync: created 0, updated 0, unchanged 3, keys installed 0, removed 0, failed 0");

  std::ofstream(dir_ + "/keys/alice.pub") << "ssh-ed25519 CCCC new\n";
  Sync();
  EXPECT_EQ(Slurp(alice_keys), "ssh-ed25519 CCCC new\n");
  EXPECT_NE(out_.str().find("installed keys for alice from " + dir_ + "/keys/alice.pub\n"),
            std::string::npos);
  EXPECT_EQ(LastLine(),
            "users sync: created 0, updated 0, unchanged 3, keys installed 1, removed 0, failed 0");
}

TEST_F(SyncTest, PlantedSshSymlinkIsRefusedNotFollowed) {
  std::ofstream(dir_ + "/keys/alice.pub") << "ssh-ed25519 AAAA alice\n";
  system_->AddUser("alice", "Alice Martin", dir_ + "/worlds-menu", "*");
  system_->groups["worlds-students"] = GroupInfo{"worlds-students", 999, {"alice"}};
  fs::create_directories(dir_ + "/elsewhere");
  fs::create_directory_symlink(dir_ + "/elsewhere", dir_ + "/home/alice/.ssh");
  Sync();
  EXPECT_FALSE(fs::exists(dir_ + "/elsewhere/authorized_keys"));
  EXPECT_NE(out_.str().find("FAILED alice: " + dir_ +
                            "/home/alice/.ssh: is not a directory (a symlink or a file?)"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(LastLine(),
            "users sync: created 2, updated 0, unchanged 1, keys installed 0, removed 0, failed 1");
}

TEST_F(SyncTest, AdminsJoinTheGroupAndAreCreatedWithTheMenuShell) {
  request_.admins = {"bob", "tina"};
  system_->AddUser("root", "root", "/bin/bash", "$6$root");
  request_.admins.push_back("root");
  Sync();
  const std::string shell = dir_ + "/worlds-menu";
  EXPECT_EQ(system_->runs[0], (Argv{"groupadd", "--system", "worlds-students"}));
  EXPECT_EQ(system_->runs[1], (Argv{"groupadd", "--system", "worlds-admin"}));
  EXPECT_EQ(system_->groups.at("worlds-admin").members, (std::vector<std::string>{"bob", "tina", "root"}));
  // Admins are students only when they are in the roster (bob is).
  EXPECT_EQ(system_->groups.at("worlds-students").members,
            (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(system_->users.at("tina").shell, shell);
  EXPECT_EQ(system_->users.at("root").shell, "/bin/bash") << "an existing admin keeps their shell";
  EXPECT_EQ(system_->users.at("root").password, "$6$root");
  std::vector<Argv> tina(system_->runs.end() - 4, system_->runs.end() - 1);
  EXPECT_EQ(tina, (std::vector<Argv>{{"useradd", "--create-home", "--shell", shell, "tina"},
                                     {"usermod", "-p", "*", "tina"},
                                     {"gpasswd", "-a", "tina", "worlds-admin"}}));
  EXPECT_EQ(system_->runs.back(), (Argv{"gpasswd", "-a", "root", "worlds-admin"}));
  EXPECT_EQ(LastLine(),
            "users sync: created 4, updated 1, unchanged 0, keys installed 0, removed 0, failed 0");
  EXPECT_NE(out_.str().find("updated root: added to worlds-admin\n"), std::string::npos);
  EXPECT_FALSE(store_->FindUser("tina")) << "an admin is not a roster student";
}

TEST_F(SyncTest, RemoveMissingDeletesOnlyAccountsWorldsCreated) {
  system_->AddUser("carol", "Smith, Carol", dir_ + "/worlds-menu", "*");  // not ours
  Sync();
  ASSERT_EQ(store_->Accounts().size(), 2u);
  WriteRoster("username,full_name,group\nalice,Alice Martin,lab-a\n");
  Sync();  // without --remove-missing nothing is deleted
  EXPECT_EQ(system_->users.count("bob"), 1u);

  request_.remove_missing = true;
  system_->runs.clear();
  Sync();
  EXPECT_EQ(system_->runs, (std::vector<Argv>{{"userdel", "--remove", "bob"}}));
  EXPECT_EQ(system_->users.count("bob"), 0u);
  EXPECT_EQ(system_->users.count("carol"), 1u) << "Worlds did not create carol";
  EXPECT_EQ(LastLine(),
            "users sync: created 0, updated 0, unchanged 1, keys installed 0, removed 1, failed 0");
  ASSERT_EQ(store_->Accounts().size(), 1u);
  EXPECT_EQ(store_->Accounts()[0].username, "alice");
  auto events = store_->Events(store::EventFilter{std::string("bob"), std::nullopt, 10});
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "users-sync");
  EXPECT_EQ(events.back().detail, "removed bob");
  EXPECT_EQ(events.back().result, "ok");
}

TEST_F(SyncTest, AnExistingStudentJoinsTheStudentGroupOnce) {
  system_->AddUser("alice", "Alice Martin", dir_ + "/worlds-menu", "*");
  system_->groups["worlds-students"] = GroupInfo{"worlds-students", 999, {}};
  Sync();
  EXPECT_EQ(system_->runs[0], (Argv{"gpasswd", "-a", "alice", "worlds-students"}));
  EXPECT_NE(out_.str().find("updated alice: added to worlds-students\n"), std::string::npos)
      << out_.str();
  system_->runs.clear();
  Sync();
  EXPECT_TRUE(system_->runs.empty());
}

TEST(MenuLinkTargetTest, InstalledShellIsKeptElseTheMenuProgramBesideUs) {
  support::TempDir temp{"worlds-menu-link-"};
  const std::string bin = temp.path() + "/build";
  fs::create_directories(bin);
  std::ofstream(bin + "/worlds") << "binary";
  const std::string installed = temp.path() + "/usr-bin-worlds-menu";
  std::ofstream(installed) << "installed";
  EXPECT_EQ(MenuLinkTarget(installed, bin + "/worlds"), "") << "a package's copy is used as is";

  const std::string shell = temp.path() + "/worlds-menu";
  EXPECT_EQ(MenuLinkTarget(shell, bin + "/worlds"), bin + "/worlds")
      << "no worlds-menu program beside us: the worlds binary answers to the name";
  std::ofstream(bin + "/worlds-menu") << "menu";
  ::chmod((bin + "/worlds-menu").c_str(), 0755);
  EXPECT_EQ(MenuLinkTarget(shell, bin + "/worlds"), bin + "/worlds-menu");
  fs::create_symlink(bin + "/worlds", shell);
  EXPECT_EQ(MenuLinkTarget(shell, bin + "/worlds"), bin + "/worlds-menu")
      << "an old development link is re-pointed";
}

TEST_F(SyncTest, RemoveMissingSparesANameReusedByAnotherAccount) {
  Sync();
  system_->users.erase("bob");
  system_->AddUser("bob", "Someone Else", "/bin/bash", "$6$x").uid = 4242;
  WriteRoster("username,full_name,group\nalice,Alice Martin,lab-a\n");
  request_.remove_missing = true;
  system_->runs.clear();
  Sync();
  EXPECT_EQ(system_->runs, (std::vector<Argv>{{"userdel", "--remove", "carol"}}));
  EXPECT_EQ(system_->users.at("bob").full_name, "Someone Else");
  EXPECT_NE(out_.str().find("forgot bob (its uid changed: not the account Worlds created)\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(SyncTest, InvalidRosterAndOptionsChangeNothing) {
  WriteRoster("username,full_name,group\nBob,Bob,a\ncarol,Carol\n");
  request_.admins = {"Root"};
  {
    const core::Error e = support::ThrownError([&] { Sync(); });
    const std::string roster = dir_ + "/roster.csv";
    EXPECT_EQ(e.message(),
              roster + ":2:1: username 'Bob' is invalid: must be a lowercase letter followed by "
                       "up to 31 lowercase letters, digits, '_' or '-'\n" +
                  roster + ":3:1: expected 3 fields (username,full_name,group), found 2\n"
                  "--admins: 'Root' is not a valid user name (a lowercase letter followed by up "
                  "to 31 lowercase letters, digits, '_' or '-')\n"
                  "3 error(s) in " + roster + " and the options; nothing was changed");
  }
  EXPECT_TRUE(system_->runs.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/worlds-menu"));
  EXPECT_EQ(Slurp(dir_ + "/shells"), "# /etc/shells\n/bin/sh\n/bin/bash\n");
  EXPECT_TRUE(store_->Events({}).empty());
}

TEST_F(SyncTest, EveryChangeIsAnEvent) {
  std::ofstream(dir_ + "/keys/alice.pub") << "ssh-ed25519 AAAA alice\n";
  system_->fail_program = "gpasswd";
  request_.admins = {"bob"};
  Sync();
  std::vector<std::string> rows;
  for (const store::Event& e : store_->Events({})) {
    EXPECT_EQ(e.action, "users-sync");
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.actor, "root");
    rows.push_back(e.target + " " + e.result + " " + e.detail);
  }
  const std::string shell = dir_ + "/worlds-menu";
  EXPECT_EQ(rows, (std::vector<std::string>{
                      shell + " ok linked the menu shell " + shell + " -> " + dir_ + "/worlds",
                      dir_ + "/shells ok added " + shell + " to " + dir_ + "/shells",
                      "worlds-students ok created group worlds-students",
                      "worlds-admin ok created group worlds-admin",
                      "alice ok created alice",
                      "alice ok installed keys for alice from " + dir_ + "/keys/alice.pub",
                      "bob error gpasswd failed (exit 1): gpasswd: simulated failure",
                      "carol ok created carol",
                  }));
}

}  // namespace
}  // namespace accounts

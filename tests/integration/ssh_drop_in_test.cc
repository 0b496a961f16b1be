// What a lab host gives a student over SSH with only Debian's default
// sshd_config plus Worlds' drop-in (data/ssh/worlds.conf.in): an account
// made by `worlds users sync` (so in group worlds-students), a real sshd,
// and every forwarding and command a client can ask for. The broker is not
// needed: the menu's own "cannot reach the broker" screen shows that the
// login got the menu.
#include <grp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "accounts/sshd_check.h"
#include "accounts/sync.h"
#include "integration/ssh_attempts.h"
#include "integration/ssh_harness.h"
#include "support/accounts.h"
#include "support/temp_dir.h"

namespace {

constexpr const char* kStudent = "wst-ssh1";

class SshDropInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IT_REQUIRE(it::HaveSshTools(), "sshd, ssh, ssh-keygen and tmux (openssh-server, tmux)");
    IT_REQUIRE(::getuid() == 0, "root (the test creates a Unix account and runs sshd)");
    IT_REQUIRE(!it::LookUpAccount(kStudent).exists,
               std::string("no existing account named ") + kStudent);
    // The student's shell is run by sshd as the student: every directory
    // on its path must be searchable.
    temp_.emplace("worlds-it-sshdropin-", 0755, "/tmp");
    dir_ = temp_->path();
    group_existed_ = ::getgrnam(accounts::kStudentGroup) != nullptr;
    server_ = std::make_unique<it::SshServer>(dir_ + "/sshd", it::WorldsDropIn(WORLDS_MENU_BINARY));
    key_ = server_->MakeClientKey(kStudent, dir_ + "/pubkeys");
    tmux_ = "worlds-it-dropin-" + std::to_string(::getpid());
  }

  void TearDown() override {
    if (!tmux_.empty()) it::Terminal::KillServer(tmux_);
    if (server_) server_->Stop();
    accounts_.RemoveAll();
    if (!group_existed_) it::RemoveGroupIfEmpty(accounts::kStudentGroup);
    if (!shell_.empty()) it::UnlistShell(shell_);
    if (!notes_.empty() || !attempts_.empty()) {
      std::cout << "With Debian's default sshd_config and the Worlds drop-in, " << kStudent
                << " tried:\n";
      for (const auto& [what, got] : notes_) std::cout << "  - " << what << ": " << got << "\n";
      it::PrintAttempts(std::cout, attempts_);
    }
  }

  // `worlds users sync` of a one-student roster, the shell a link in our
  // temp dir to the built worlds-menu (the drop-in forces that program).
  void SyncStudent() {
    std::filesystem::create_directories(dir_ + "/bin");
    shell_ = dir_ + "/bin/worlds-menu";
    std::filesystem::create_symlink(WORLDS_MENU_BINARY, shell_);
    std::ofstream(dir_ + "/roster.csv") << "username,full_name,group\n"
                                        << kStudent << ",Drop In Student,wst\n";
    it::Run sync = it::Worlds({"--state-dir", dir_ + "/state", "users", "sync", "--roster",
                               dir_ + "/roster.csv", "--keys-dir", dir_ + "/pubkeys", "--shell",
                               shell_});
    if (it::LookUpAccount(kStudent).exists) accounts_.Adopt(kStudent);
    ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
  }

  // What the test saw besides the attempts to get past the menu.
  void Record(const std::string& attempt, const std::string& got) {
    notes_.emplace_back(attempt, got);
  }

  std::optional<support::TempDir> temp_;
  std::string dir_, key_, tmux_, shell_;
  std::unique_ptr<it::SshServer> server_;
  support::StudentAccounts accounts_;
  bool group_existed_ = true;
  std::vector<std::pair<std::string, std::string>> notes_;
  std::vector<it::SshAttempt> attempts_;
};

TEST_F(SshDropInTest, StudentGetsTheMenuAndEveryForwardingIsRefused) {
  ASSERT_NO_FATAL_FAILURE(SyncStudent());
  const group* students = ::getgrnam(accounts::kStudentGroup);
  ASSERT_NE(students, nullptr) << "users sync made the group";

  // sshd's own word on the student's settings, judged as `worlds doctor` does.
  it::Run effective = it::Exec({"/usr/sbin/sshd", "-T", "-f", server_->config(), "-C",
                                std::string("user=") + kStudent + ",host=localhost,addr=127.0.0.1"});
  ASSERT_EQ(effective.code, 0) << effective.err;
  std::vector<accounts::SshdFinding> open =
      accounts::OpenForwardings(effective.out, WORLDS_MENU_BINARY);
  std::string open_text;
  for (const accounts::SshdFinding& f : open) open_text += f.ToString() + "; ";
  EXPECT_TRUE(open.empty()) << open_text;
  Record("sshd -T -C user=" + std::string(kStudent),
         open.empty() ? "no forwarding open, forcecommand the menu" : open_text);

  std::string why;
  ASSERT_TRUE(server_->Start(&why)) << why;

  // An interactive login gets the menu (here its no-broker screen, unless a
  // broker happens to answer on the default socket).
  {
    it::Terminal login(tmux_, "login", server_->SshArgv(kStudent, key_, {"-tt"}), dir_);
    ASSERT_TRUE(login.started()) << login.start_error();
    bool menu = login.WaitForScreen(std::string("Worlds - ") + kStudent, 30);
    std::string screen = login.Screen();
    bool unavailable = screen.find("cannot reach the broker") != std::string::npos;
    Record("ssh -tt (interactive login)",
           menu ? std::string("the menu (\"Worlds - ") + kStudent + "\"" +
                      (unavailable ? ", its \"cannot reach the broker\" screen)" : ")")
                : "NO MENU: " + screen);
    EXPECT_TRUE(menu) << screen << server_->Log();
    login.SendKeys({"q"});
    EXPECT_TRUE(login.WaitForExit(10)) << login.Screen();
  }

  // A command, sftp and every kind of forwarding.
  attempts_ = it::TryEverythingButTheMenu(*server_, kStudent, key_, tmux_, dir_);
  for (const it::SshAttempt& a : attempts_) EXPECT_TRUE(a.refused) << a.attempt << ": " << a.got;
}

}  // namespace

// Interrupted deploys: a killed parent, a killed worker; re-runs converge.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/process.hpp>

#include "guest/customizer.h"
#include "integration/deploy_fixture.h"

namespace {

using it::DeployTest;
using it::kUsers;
using it::kVms;

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

// Pids of the `worlds __worker` children of `parent`.
std::vector<pid_t> WorkersOf(pid_t parent) {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = it::ReadFile(entry.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state;
    pid_t ppid;
    fields >> state >> ppid;
    if (ppid == parent &&
        it::ReadFile(entry.path().string() + "/cmdline").find("__worker") != std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

class KillWorkerTest : public DeployTest {
 protected:
  std::string Name() const override { return "killworker"; }
};

TEST_F(KillWorkerTest, KilledWorkerFailsItsWorldsOnlyAndReRunConverges) {
  namespace bp = boost::process;
  std::vector<std::string> args = Global({"deploy", lab_file_, "--roster", roster_, "--jobs", "2"});
  bp::ipstream out;
  bp::child child(WORLDS_BINARY, args, bp::std_out > out, bp::std_err > bp::null);
  std::vector<pid_t> workers;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && workers.size() < 2) {
    workers = WorkersOf(child.id());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(workers.size(), 2u);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // inside its appliance
  ::kill(workers[0], SIGKILL);
  std::string text, line;
  while (std::getline(out, line)) text += line + "\n";
  child.wait();
  EXPECT_EQ(child.exit_code(), 1) << text;
  EXPECT_NE(text.find("(worker): worker "), std::string::npos) << text;
  EXPECT_NE(text.find("exited with status"), std::string::npos) << text;

  it::Run rerun = Deploy();
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  ExpectFullDeployment();
}

}  // namespace

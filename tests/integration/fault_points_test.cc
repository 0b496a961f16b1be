// Deploys SIGKILLed at chosen steps (WORLDS_FAILPOINT), in a worker and in
// the parent: after each kill `worlds status` tells the truth and the store
// is intact; a re-run converges to exactly the full deployment.
#include <signal.h>

#include <chrono>
#include <iostream>

#include "integration/fault_fixture.h"

namespace {

using it::FaultTest;
using it::Outcome;

// One kill of a chain: the failpoint armed for one deploy, and whether it
// kills a worker (the parent reports it and exits 1) or the parent itself.
struct Kill {
  const char *failpoint;
  bool in_worker;
};

struct Chain {
  const char *name;
  std::vector<Kill> kills;
};

// Each kill's deploy is the re-run of the previous one, so one chain shares
// its deployment: the first kill hits a fresh state dir, the next ones a
// state left by a kill. The last re-run has no failpoint.
const Chain kChains[] = {
    {"worker",
     {{"worker-after-overlays", true},
      {"customize-disk@2", true},
      {"worker-after-define", true},
      {"worker-snapshot@1", true}}},
    // A deploy of 4 VMs records 16 phases: 4 overlay, 8 customized/defined,
    // 4 ready; @14 is the second `ready`. store-commit@1 is the lab/users/
    // worlds/deployment transaction, @2 the one recording up-to-date VMs
    // (written only on a re-run, hence after deploy-record@14).
    {"parent",
     {{"store-commit@1", false},
      {"deploy-record@1", false},
      {"deploy-record@14", false},
      {"store-commit@2", false}}},
};

void PrintTo(const Chain& chain, std::ostream* out) { *out << chain.name; }

class KillChainTest : public FaultTest,
                      public ::testing::WithParamInterface<Chain> {
protected:
  std::string Name() const override {
    return std::string("fault") + GetParam().name[0];
  }
};

TEST_P(KillChainTest, EveryKillLeavesTruthfulStatusAndReRunConverges) {
  auto start = std::chrono::steady_clock::now();
  for (const Kill &kill : GetParam().kills) {
    std::string point = kill.failpoint;
    std::string name = point.substr(0, point.find('@'));
    Outcome run = DeployWith(point);
    std::cout << "[fault] " << point << ": deploy " << run.Describe() << "\n";
    ASSERT_FALSE(run.timed_out) << point << run.out << run.err;
    if (kill.in_worker) {
      EXPECT_FALSE(run.signaled) << point;
      EXPECT_EQ(run.code, 1) << point << "\n" << run.out << run.err;
      EXPECT_NE(run.out.find(
                    "(worker): worker 0 was killed by signal 9 (Killed) (see "),
                std::string::npos)
          << run.out;
      EXPECT_NE(WorkerLogs().find("failpoint " + name + ": killing pid"),
                std::string::npos)
          << point << " was not reached";
    } else {
      EXPECT_TRUE(run.signaled && run.signal == SIGKILL)
          << point << ": " << run.Describe() << "\n"
          << run.out << run.err;
      EXPECT_NE(run.err.find("failpoint " + name + ": killing pid"),
                std::string::npos)
          << run.err;
    }
    ExpectNoLeftovers(run.pid);
    ExpectStatusTruthful(point);
    ExpectStoreIntact(point);
  }
  Outcome rerun = DeployWith("");
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  ExpectConverged();
  ExpectStoreIntact("re-run");
  Outcome again = DeployWith("");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("Nothing to do"), std::string::npos) << again.out;
  std::cout << "[fault] chain " << GetParam().name << ": "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count()
            << " s\n";
}

INSTANTIATE_TEST_SUITE_P(Fault, KillChainTest, ::testing::ValuesIn(kChains),
                         [](const ::testing::TestParamInfo<Chain> &info) {
                           return std::string(info.param.name);
                         });

} // namespace

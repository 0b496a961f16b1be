// A worker started over SSH (`worlds __worker ssh`) has no deploy for a
// parent to watch: sshd is its parent, or a shell that outlives it. It
// stops once nothing reads its output any more. Here its parent (this
// test) stays alive and only closes the worker's stdout: the worker must
// kill itself at once, long before its next line would have met a broken
// pipe (its appliance takes seconds to start).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "config/lab_parser.h"
#include "core/names.h"
#include "deploy/plan.h"
#include "deploy/protocol.h"
#include "guest/inspector.h"
#include "integration/harness.h"
#include "support/roster.h"
#include "support/temp_dir.h"

namespace it {
namespace {

void Cleanup(const std::string& lab, const std::string& owner) {
  for (const char* vm : {"router", "client"}) {
    Exec({"virsh", "-q", "-c", "qemu:///system", "undefine", "--snapshots-metadata",
          core::DomainName(lab, owner, vm)});
  }
  std::string net = core::NetworkName(lab, owner, "lan");
  Exec({"virsh", "-q", "-c", "qemu:///system", "net-destroy", net});
  Exec({"virsh", "-q", "-c", "qemu:///system", "net-undefine", net});
}

TEST(WorkerWatchTest, AWorkerOverSshStopsWhenNothingReadsItsOutput) {
  IT_REQUIRE(!TestImageDir().empty(), "the tiny test image (WORLDS_TEST_IMAGE_DIR)");
  IT_REQUIRE(Exec({"virsh", "-q", "-c", "qemu:///system", "version"}).code == 0,
             "libvirtd on qemu:///system (run tools/start-daemons)");
  setenv("LIBGUESTFS_BACKEND", "direct", 0);
  setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
  support::TempDir temp("worlds-it-watch-", 0755, "/tmp");
  const std::string lab = "itwatch";
  std::string lab_file = temp.File(lab + ".yaml");
  support::WriteFile(lab_file,
                     support::RenameLab(ReadFile(SourcePath("labs/netlab.yaml")), lab));
  config::LabParseResult parsed = config::ParseLabFile(lab_file, TestImageDir());
  ASSERT_TRUE(parsed.lab);
  deploy::PlanOptions options;
  options.state_dir = temp.File("state");
  options.cpu_partitions = false;
  const core::BaseImage& image = parsed.lab->images.front();
  options.images[image.name] = guest::InspectImages({{image.path, image.format}}, {}).front();
  deploy::Batch batch;
  batch.config = {"qemu:///system", "", ""};
  batch.worlds = deploy::DesiredPlan(*parsed.lab, {{lab, "wanda", 1}}, options).worlds;

  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::signal(SIGPIPE, SIG_DFL);
    ::execl(WORLDS_BINARY, WORLDS_BINARY, "__worker", "ssh", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  std::string text = deploy::EncodeBatch(batch);
  ASSERT_EQ(::write(in[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(in[1]);
  char c;  // its first line: the overlays are made, the appliance starts
  while (::read(out[0], &c, 1) == 1 && c != '\n') {
  }
  auto closed = std::chrono::steady_clock::now();
  ::close(out[0]);

  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - closed < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - closed).count();
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  Cleanup(lab, "wanda");
  ASSERT_NE(done, 0) << "the worker ran on for 60 s with nobody reading it";
  ASSERT_TRUE(WIFSIGNALED(status)) << "it finished its batch instead of stopping";
  EXPECT_EQ(WTERMSIG(status), SIGKILL)
      << "it ran until a write met the closed pipe (signal " << WTERMSIG(status) << ") after "
      << seconds << " s, instead of stopping when the reader went";
  EXPECT_LT(seconds, 5) << "stopped, but late";
}

}  // namespace
}  // namespace it

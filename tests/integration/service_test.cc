// Worlds as a system service without systemd as PID 1: the configured units
// pass `systemd-analyze verify`, and the broker runs under
// `systemd-socket-activate`, which passes it its listening socket exactly as
// worlds-broker.socket does.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "broker_client/client.h"
#include "core/error.h"
#include "integration/harness.h"
#include "process/process.h"
#include "support/temp_dir.h"
#include "virt/hypervisor.h"

namespace {

namespace fs = std::filesystem;

// The configured units, as `cmake --install` installs them.
std::string ConfiguredUnit(const std::string& name) {
  return it::ReadFile(std::string(WORLDS_DATA_OUT) + "/systemd/" + name);
}

// systemd-analyze checks that ExecStart='s program exists, and the installed
// path (/usr/bin/worlds) does not exist on a build machine: the test copy
// runs the build tree's `worlds` instead, and is otherwise the file as
// configured. Everything else verify checks is checked as installed.
TEST(ServiceTest, UnitsPassSystemdAnalyzeVerify) {
  IT_REQUIRE(fs::exists("/usr/bin/systemd-analyze"), "systemd-analyze (package systemd)");
  IT_REQUIRE(fs::exists("/usr/bin/man"), "man, which verify runs for Documentation= (man-db)");
  support::TempDir dir("worlds-it-units-");
  std::string service = ConfiguredUnit("worlds-broker.service");
  std::string socket = ConfiguredUnit("worlds-broker.socket");
  ASSERT_FALSE(service.empty() || socket.empty()) << "not configured under " << WORLDS_DATA_OUT;
  std::string installed = std::string("ExecStart=") + WORLDS_PROGRAM + " ";
  size_t at = service.find(installed);
  ASSERT_NE(at, std::string::npos) << service;
  ASSERT_EQ(service.find(installed, at + 1), std::string::npos) << "one ExecStart= expected";
  service.replace(at, installed.size(), std::string("ExecStart=") + WORLDS_BINARY + " ");
  std::ofstream(dir.File("worlds-broker.service")) << service;
  std::ofstream(dir.File("worlds-broker.socket")) << socket;
  // Documentation=man:worlds(1): the page from the source tree, as installed.
  fs::create_directories(dir.File("man/man1"));
  fs::copy_file(it::SourcePath("docs/man/worlds.1"), dir.File("man/man1/worlds.1"));

  process::RunOptions options;
  options.env["MANPATH"] = dir.File("man");
  process::Result verify =
      process::Run({"systemd-analyze", "verify", dir.File("worlds-broker.socket"),
                    dir.File("worlds-broker.service")},
                   options);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out + verify.err, "");
}

// The broker run as worlds-broker.service runs it: `broker --foreground`,
// started by the first connection to a socket made before it, with the
// unit's empty capability bounding set (setpriv), as root.
TEST(ServiceTest, FirstConnectionStartsTheBrokerOnTheInheritedSocket) {
  IT_REQUIRE(fs::exists("/usr/bin/systemd-socket-activate"),
             "systemd-socket-activate (package systemd)");
  IT_REQUIRE(fs::exists("/usr/bin/setpriv"), "setpriv (package util-linux)");
  IT_REQUIRE(::geteuid() == 0, "root, as the broker runs");
  try {
    virt::NewLibvirtHypervisor("qemu:///system");
  } catch (const core::Error& e) {
    IT_REQUIRE(false, e.Describe());
  }
  support::TempDir dir("worlds-it-activate-");
  std::string socket = dir.File("broker.sock");
  std::string log = dir.File("broker.log");
  process::SpawnOptions options;
  options.stderr_file = log;
  process::Child activator =
      process::Spawn({"setpriv", "--bounding-set=-all", "--inh-caps=-all", "--",
                      "systemd-socket-activate", "-l", socket, "--", WORLDS_BINARY, "--state-dir",
                      dir.path(), "broker", "--foreground", "--socket", socket},
                     options);
  for (int i = 0; i < 100 && !fs::exists(socket); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(socket)) << it::ReadFile(log);
  // Nothing has connected: systemd-socket-activate made the socket, the
  // broker has not run (it is exec'd on the first connection).
  EXPECT_EQ(it::ReadFile(log).find("worlds broker:"), std::string::npos) << it::ReadFile(log);

  broker::Reply reply = broker::Client(socket).Call({broker::Op::kWhoami, ""});
  EXPECT_TRUE(reply.ok) << reply.error << "\n" << it::ReadFile(log);
  EXPECT_EQ(reply.user, "root");
  EXPECT_EQ(reply.uid, 0);
  EXPECT_NE(it::ReadFile(log).find("worlds broker: listening on " + socket +
                                   " (socket inherited from systemd;"),
            std::string::npos)
      << it::ReadFile(log);

  // SIGTERM, as systemd stops it: a clean exit, and the socket, which is
  // the socket unit's, is still there for the next activation.
  activator.Kill(SIGTERM);
  process::Status status = activator.Wait();
  EXPECT_TRUE(status.ok()) << status.Describe() << "\n" << it::ReadFile(log);
  EXPECT_TRUE(fs::exists(socket));
  EXPECT_NE(it::ReadFile(log).find("worlds broker: stopped"), std::string::npos)
      << it::ReadFile(log);
}

}  // namespace

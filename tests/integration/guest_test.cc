// The real libguestfs customizer against qcow2 overlays built here from a
// tiny ext4 filesystem, so no project image is needed. Needs the libguestfs
// appliance (TCG is forced: KVM is not assumed to work).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "guest/customizer.h"
#include "guest/inspector.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

extern char** environ;

namespace guest {
namespace {

namespace fs = std::filesystem;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// A missing prerequisite fails in CI and is a visible skip elsewhere.
#define SKIP_OR_FAIL(reason)                      \
  do {                                            \
    if (InCi()) FAIL() << (reason);               \
    GTEST_SKIP() << (reason);                     \
  } while (0)

// Runs argv[0] (found on PATH) with its output discarded; returns the exit
// status, or -1 when it could not run or was killed.
int RunTool(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteAll(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

const char kDebianRcLocal[] =
    "#!/bin/sh -e\n"
    "# rc.local from the image\n"
    "echo image-local\n"
    "exit 0\n";

class GuestfsCustomizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // This machine's KVM is broken; a caller can still choose otherwise.
    setenv("LIBGUESTFS_BACKEND", "direct", /*overwrite=*/0);
    setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", /*overwrite=*/0);
  }

  void SetUp() override {
    temp_.emplace("worlds_guest_test_", 0700, "/tmp");
    dir_ = temp_->path();
  }

  void TearDown() override { temp_.reset(); }

  // Builds <name>.qcow2 from a 32 MiB whole-device ext4 holding `tree`'s
  // files (path relative to / -> content). Returns false when the tools fail.
  bool MakeQcow2(const std::string& name,
                 const std::vector<std::pair<std::string, std::string>>& tree) {
    fs::path root = dir_ / (name + "_root");
    fs::create_directories(root);
    for (const auto& [path, content] : tree) {
      fs::create_directories((root / path).parent_path());
      if (content.rfind("->", 0) == 0) {
        fs::create_symlink(content.substr(2), root / path);
      } else {
        WriteAll(root / path, content);
      }
    }
    std::string raw = (dir_ / (name + ".raw")).string();
    return RunTool({"mkfs.ext4", "-q", "-F", "-d", root.string(), raw, "32M"}) == 0 &&
           RunTool({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw,
                Path(name + ".qcow2")}) == 0;
  }

  bool MakeOverlay(const std::string& base, const std::string& overlay) {
    return RunTool({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                Path(base), Path(overlay)}) == 0;
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static GuestEdit Edit(const std::string& disk, const std::string& host,
                        const std::string& address, const std::string& command,
                        const OsInfo& os) {
    GuestEdit edit;
    edit.disk_path = disk;
    edit.hostname = host;
    edit.nics = {{"eth0", address, 24, "", "", "", {}}};
    edit.commands = {command};
    edit.os = os;
    return edit;
  }

  // A busybox system as libguestfs inspection recognizes one (/bin, /etc
  // with hosts or fstab), with `extra` files.
  static std::vector<std::pair<std::string, std::string>> Busybox(
      std::vector<std::pair<std::string, std::string>> extra) {
    extra.push_back({"bin/busybox", "not really busybox\n"});
    extra.push_back({"sbin/init", "->/bin/busybox"});
    extra.push_back({"sbin/ifup", "->/bin/busybox"});
    extra.push_back({"etc/fstab", "/dev/vda / ext4 defaults 0 1\n"});
    return extra;
  }

  // Inspects `disk`, turning an appliance that cannot boot into skip/fail.
  bool Inspect(const std::string& disk, OsInfo* os) {
    try {
      *os = InspectImages({{disk, "qcow2"}}, {}).at(0);
      return true;
    } catch (const core::Error& e) {
      if (InCi()) ADD_FAILURE() << "libguestfs appliance unavailable: " << e.Describe();
      return false;
    }
  }

  std::optional<support::TempDir> temp_;
  fs::path dir_;
};

// Runs the Apply, turning an appliance that cannot boot into skip/fail.
#define APPLY_OR_SKIP(results, customizer, edits)                         \
  std::vector<EditResult> results;                                        \
  try {                                                                   \
    results = (customizer).Apply(edits);                                  \
  } catch (const core::Error& e) {                                        \
    SKIP_OR_FAIL("libguestfs appliance unavailable: " + e.Describe());    \
  }

TEST_F(GuestfsCustomizerTest, InspectionFindsTheBusyboxGuestAndRefusesADiskWithoutOs) {
  ASSERT_TRUE(MakeQcow2("base", Busybox({{"etc/hosts", "127.0.0.1 localhost\n"},
                                         {"etc/rc.local", kDebianRcLocal}})));
  ASSERT_TRUE(MakeQcow2("noos", {{"srv/data", "x\n"}}));
  std::vector<OsInfo> found;
  try {
    found = InspectImages({{Path("base.qcow2"), "qcow2"}, {Path("noos.qcow2"), "qcow2"}}, {});
  } catch (const core::Error& e) {
    SKIP_OR_FAIL("libguestfs appliance unavailable: " + e.Describe());
  }
  ASSERT_EQ(found.size(), 2u);
  const OsInfo& os = found[0];
  EXPECT_EQ(os.type, "linux");
  EXPECT_EQ(os.init, "busybox");
  EXPECT_EQ(os.network_stack, kBusybox);
  EXPECT_EQ(os.first_boot_runner, "rcS");
  ASSERT_EQ(os.mounts.size(), 1u);
  EXPECT_EQ(os.mounts[0].mountpoint, "/");
  EXPECT_EQ(os.mounts[0].device, "/dev/sda");
  EXPECT_EQ(os.files.at("/etc/rc.local"), kDebianRcLocal);
  EXPECT_EQ(CustomizeProblem(os), "");
  EXPECT_EQ(found[1].type, "none");
  EXPECT_EQ(CustomizeProblem(found[1]), "libguestfs inspection found no operating system on it");
}

TEST_F(GuestfsCustomizerTest, OneLaunchCustomizesEveryOverlayAndFailsOnlyBrokenOnes) {
  ASSERT_TRUE(MakeQcow2("base", Busybox({{"etc/hostname", "image\n"},
                                         {"etc/hosts", "127.0.0.1 localhost\n127.0.1.1 image\n"},
                                         {"etc/rc.local", kDebianRcLocal}})))
      << "mkfs.ext4 or qemu-img failed";
  for (const char* name : {"a", "b", "c", "u"}) {
    ASSERT_TRUE(MakeOverlay("base.qcow2", std::string(name) + ".qcow2"));
  }
  WriteAll(Path("garbage.raw"), std::string(1 << 20, '\x5a'));
  const std::string base_before = ReadAll(Path("base.qcow2"));
  OsInfo os;
  if (!Inspect(Path("base.qcow2"), &os)) GTEST_SKIP() << "libguestfs appliance unavailable";

  GuestEdit broken_raw = Edit(Path("garbage.raw"), "g", "10.0.0.9", "true", os);
  broken_raw.disk_format = "raw";
  GuestEdit uninspected = Edit(Path("u.qcow2"), "pc-u", "10.0.0.6", "true", OsInfo{});
  std::vector<GuestEdit> edits = {
      Edit(Path("a.qcow2"), "pc-a", "10.0.0.1", "echo \"a $HOSTNAME\" > /root/a", os),
      uninspected,
      Edit(Path("b.qcow2"), "pc-b", "10.0.0.2", "echo b", os),
      broken_raw,
      Edit(Path("c.qcow2"), "pc-c", "10.0.0.3", "echo 'c'", os),
      Edit(Path("missing.qcow2"), "pc-m", "10.0.0.7", "true", os),
  };
  auto customizer = NewGuestfsCustomizer({});
  auto start = std::chrono::steady_clock::now();
  APPLY_OR_SKIP(results, *customizer, edits);
  std::cerr << "Apply of " << edits.size() << " disks took "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s\n";
  EXPECT_EQ(customizer->launches(), 1);
  ASSERT_EQ(results.size(), edits.size());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].disk_path, edits[i].disk_path);
  }
  EXPECT_TRUE(results[0].ok) << results[0].error;
  EXPECT_TRUE(results[2].ok) << results[2].error;
  EXPECT_TRUE(results[4].ok) << results[4].error;
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].error, "its base image was not inspected (no filesystem to mount)");
  EXPECT_FALSE(results[3].ok);
  EXPECT_EQ(results[3].error.rfind("cannot mount /dev/sdd on /: ", 0), 0u) << results[3].error;
  EXPECT_FALSE(results[5].ok);
  EXPECT_EQ(results[5].error, "cannot add disk: " + Path("missing.qcow2") +
                                  ": No such file or directory");

  const std::vector<std::string> paths = {"/etc/hostname", "/etc/hosts",
                                          "/etc/network/interfaces", "/etc/rc.local"};
  const std::vector<std::string> hosts = {"pc-a", "", "pc-b", "", "pc-c"};
  const std::vector<std::string> addresses = {"10.0.0.1", "", "10.0.0.2", "", "10.0.0.3"};
  for (size_t i : {0, 2, 4}) {
    auto files = ReadGuestFiles(edits[i].disk_path, paths, "qcow2");
    EXPECT_EQ(files[0], hosts[i] + "\n");
    EXPECT_EQ(files[1], "127.0.0.1 localhost\n127.0.1.1 " + hosts[i] + "\n");
    EXPECT_EQ(files[2], RenderInterfaces(edits[i].nics));
    EXPECT_EQ(files[3], RenderRcLocal(kDebianRcLocal, edits[i].commands));
  }
  EXPECT_EQ(ReadAll(Path("base.qcow2")), base_before) << "the base image was written";

  // Re-applying with new commands converges to exactly one block.
  std::vector<GuestEdit> again = {Edit(Path("a.qcow2"), "pc-a", "10.0.0.1", "echo second", os)};
  APPLY_OR_SKIP(results2, *customizer, again);
  EXPECT_EQ(customizer->launches(), 2);
  ASSERT_TRUE(results2[0].ok) << results2[0].error;
  auto files = ReadGuestFiles(Path("a.qcow2"), {"/etc/rc.local", "/etc/nothing"}, "qcow2");
  EXPECT_EQ(files[0], RenderRcLocal(kDebianRcLocal, {"echo second"}));
  EXPECT_EQ(files[1], "");
  EXPECT_EQ(ReadAll(Path("base.qcow2")), base_before);
}

TEST_F(GuestfsCustomizerTest, ImageWithoutRcLocalOrNetworkDirGetsThem) {
  ASSERT_TRUE(MakeQcow2("bare", Busybox({{"etc/passwd", "root:x:0:0::/root:/bin/sh\n"}})));
  OsInfo os;
  if (!Inspect(Path("bare.qcow2"), &os)) GTEST_SKIP() << "libguestfs appliance unavailable";
  auto customizer = NewGuestfsCustomizer({});
  std::vector<GuestEdit> edits = {Edit(Path("bare.qcow2"), "solo", "192.168.5.4", "id", os)};
  APPLY_OR_SKIP(results, *customizer, edits);
  ASSERT_TRUE(results[0].ok) << results[0].error;
  auto files = ReadGuestFiles(Path("bare.qcow2"),
                              {"/etc/hosts", "/etc/network/interfaces", "/etc/rc.local"});
  EXPECT_EQ(files[0],
            "127.0.0.1 localhost\n127.0.1.1 solo\n::1 localhost ip6-localhost ip6-loopback\n");
  EXPECT_EQ(files[1], RenderInterfaces(edits[0].nics));
  EXPECT_EQ(files[2], RenderRcLocal("", {"id"}));
}

TEST_F(GuestfsCustomizerTest, BareApplianceLaunches) {
  try {
    LaunchBareAppliance({});
  } catch (const core::Error& e) {
    SKIP_OR_FAIL("libguestfs appliance unavailable: " + e.Describe());
  }
}

TEST_F(GuestfsCustomizerTest, UnknownBackendFailsWithHint) {
  GuestfsOptions options;
  options.backend = "no-such-backend";
  EXPECT_EQ(support::ErrorText([&] { LaunchBareAppliance(options); }),
            "cannot set libguestfs backend 'no-such-backend': invalid backend: "
            "no-such-backend (use 'direct' or 'libvirt'; run `worlds doctor`)");
}

TEST_F(GuestfsCustomizerTest, LaunchFailureCarriesLibguestfsMessageAndHint) {
  // A qemu that does not exist makes the launch itself fail, quickly.
  setenv("LIBGUESTFS_HV", "/nonexistent/qemu", 1);
  try {
    LaunchBareAppliance({});
    unsetenv("LIBGUESTFS_HV");
    FAIL() << "expected core::Error";
  } catch (const core::Error& e) {
    unsetenv("LIBGUESTFS_HV");
    EXPECT_EQ(e.message().rfind("libguestfs appliance failed to launch: ", 0), 0u)
        << e.message();
    // The library's own words about the missing qemu reach the user.
    EXPECT_NE(e.message().find("/nonexistent/qemu"), std::string::npos) << e.message();
    EXPECT_EQ(e.fix(),
              "set LIBGUESTFS_BACKEND=direct (and LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
              "where KVM does not work); run `worlds doctor`");
  }
}

// The block deletes itself with sed -i while /etc/rc.local is running. Run
// the rendered script as the real /etc/rc.local (in a private mount
// namespace) under dash, and under busybox sh with busybox sed, and check it
// ran once, finished the lines after the block, and left the file as it was
// before Worlds touched it.
struct Shell {
  std::string name;
  std::vector<std::string> argv;  // the script path is appended
  bool busybox_tools;             // put busybox's sed first on PATH
};

// Test lists (and so CTest's test names) show the shell, not raw bytes.
void PrintTo(const Shell& shell, std::ostream* os) { *os << shell.name; }

class FirstBootBlockTest : public ::testing::TestWithParam<Shell> {};

TEST_P(FirstBootBlockTest, RunsOnceThenRemovesItself) {
  const Shell& shell = GetParam();
  if (geteuid() != 0) SKIP_OR_FAIL("needs root for a private mount namespace");
  if (access(shell.argv[0].c_str(), X_OK) != 0) {
    SKIP_OR_FAIL(shell.argv[0] + " is not installed");
  }
  support::TempDir temp("worlds_rclocal_", 0700, "/tmp");
  const fs::path dir = temp.path();
  const fs::path etc = dir / "etc";
  const fs::path bin = dir / "bin";
  const fs::path varlog = dir / "varlog";
  fs::create_directories(varlog);
  fs::create_directories(etc);
  fs::create_directories(bin);
  fs::create_symlink("/bin/busybox", bin / "sed");
  const fs::path log = dir / "log";
  const std::string original =
      "#!/bin/sh -e\necho before >> " + log.string() + "\nexit 0\n";
  // The padding makes the script longer than a shell's read buffer, so a
  // shell that re-read the file after sed -i would visibly go wrong.
  const std::string rendered = RenderRcLocal(
      original, {"echo first-boot >> " + log.string(), ": " + std::string(20000, '#'),
                 "exit 3"});  // a command's exit must not skip the self-removal
  WriteAll(etc / "rc.local", rendered);
  chmod((etc / "rc.local").c_str(), 0755);
  WriteAll(log, "");

  std::vector<std::string> argv = shell.argv;
  argv.push_back("/etc/rc.local");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string path =
      shell.busybox_tools ? bin.string() + ":/usr/bin:/bin" : "/usr/bin:/bin";

  pid_t pid = fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(90);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(91);
    // sed -i renames a new file over /etc/rc.local, which a bind mount of
    // the file alone would refuse, so the whole of /etc is replaced.
    if (mount(etc.c_str(), "/etc", nullptr, MS_BIND, nullptr) != 0) _exit(92);
    // The block logs to /var/log: a private one, not the host's.
    if (mount(varlog.c_str(), "/var/log", nullptr, MS_BIND, nullptr) != 0) _exit(95);
    int out = open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) _exit(93);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    setenv("PATH", path.c_str(), 1);
    execv(args[0], args.data());
    _exit(94);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(dir / "stdout");
  EXPECT_EQ(ReadAll(dir / "stdout"),
            "worlds: first-boot commands failed (status 3)\n"
            "worlds: first-boot block done\n");
  EXPECT_EQ(ReadAll(log), "before\nfirst-boot\n");
  EXPECT_EQ(ReadAll(varlog / "worlds-first-boot.log"),
            "worlds: first-boot commands failed (status 3)\n"
            "worlds: first-boot block done\n");
  EXPECT_EQ(ReadAll(etc / "rc.local"), original);
}

INSTANTIATE_TEST_SUITE_P(
    Shells, FirstBootBlockTest,
    ::testing::Values(Shell{"dash", {"/bin/dash", "-e"}, false},
                      Shell{"busybox", {"/bin/busybox", "sh", "-e"}, true}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace guest

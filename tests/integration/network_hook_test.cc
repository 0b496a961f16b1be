// The libvirt network hook for real: the configured hook script installed in
// /etc/libvirt/hooks/network.d/, libvirtd restarted to find it (it looks for
// hooks only when it starts), and a World's network started with
// `virsh net-start` comes up with its bridge guarded, no broker involved.
// Afterwards the hook is removed and libvirtd restarted again, so the daemon
// runs as it was found. Another test talking to libvirtd during the two
// restarts sees its connection drop: keep this test short.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kUri = "qemu:///system";
constexpr const char* kHookDir = "/etc/libvirt/hooks/network.d";

bool LibvirtAnswers() { return it::Exec({"virsh", "-q", "-c", kUri, "version"}).code == 0; }

// Restarts libvirtd the way it runs here: under systemd when systemd is
// PID 1, else as tools/start-daemons starts it (`libvirtd -d`). Returns ""
// or what went wrong.
std::string RestartLibvirtd() {
  if (fs::exists("/run/systemd/system")) {
    it::Run r = it::Exec({"systemctl", "restart", "libvirtd.service"});
    if (r.code != 0) return "systemctl restart libvirtd: " + r.err;
  } else {
    it::Run pids = it::Exec({"pgrep", "-x", "libvirtd"});
    for (size_t at = 0; at < pids.out.size();) {
      size_t end = pids.out.find('\n', at);
      if (end == std::string::npos) end = pids.out.size();
      pid_t pid = std::stoi(pids.out.substr(at, end - at));
      at = end + 1;
      ::kill(pid, SIGTERM);
      std::string proc = "/proc/" + std::to_string(pid);
      for (int i = 0; i < 300 && fs::exists(proc); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (fs::exists(proc)) return "libvirtd (pid " + std::to_string(pid) + ") did not stop";
    }
    process::RunOptions options;
    options.timeout = std::chrono::seconds(30);
    process::Result started = process::Run({"libvirtd", "-d"}, options);
    if (!started.ok()) return "libvirtd -d " + started.Describe() + ": " + started.err;
  }
  for (int i = 0; i < 100; ++i) {
    if (LibvirtAnswers()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "libvirtd did not answer on qemu:///system after the restart";
}

class LibvirtHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IT_REQUIRE(::geteuid() == 0, "root (the test installs a libvirt hook)");
    IT_REQUIRE(LibvirtAnswers(), "libvirtd on qemu:///system (tools/start-daemons)");
    // Names of this test's own: a World's prefix, this process's pid.
    std::string id = std::to_string(::getpid() % 100000);
    network_ = "w-it-hook-" + id;
    bridge_ = "wih" + id;
    hook_ = std::string(kHookDir) + "/worlds-it-hook-" + id;

    // The hook as configured, running the build tree's `worlds` instead of
    // the installed one.
    std::string script =
        it::ReadFile(std::string(WORLDS_DATA_OUT) + "/libvirt/worlds-network-hook");
    size_t at = script.find(WORLDS_PROGRAM);
    ASSERT_NE(at, std::string::npos) << script;
    script.replace(at, std::string(WORLDS_PROGRAM).size(), WORLDS_BINARY);
    made_hook_dir_ = !fs::exists(kHookDir);
    fs::create_directories(kHookDir);
    std::ofstream(hook_) << script;
    fs::permissions(hook_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    installed_ = true;
    std::string restarted = RestartLibvirtd();
    ASSERT_EQ(restarted, "");
  }

  void TearDown() override {
    if (!network_.empty()) {
      it::Exec({"virsh", "-q", "-c", kUri, "net-destroy", network_});
      it::Exec({"virsh", "-q", "-c", kUri, "net-undefine", network_});
    }
    if (!installed_) return;
    std::error_code ec;
    fs::remove(hook_, ec);
    if (made_hook_dir_) fs::remove(kHookDir, ec);
    EXPECT_EQ(RestartLibvirtd(), "") << "libvirtd must be left running";
  }

  // An isolated network as Worlds defines them (no <forward>, no <ip>).
  std::string NetworkXml() const {
    pugi::xml_document doc;
    pugi::xml_node network = doc.append_child("network");
    network.append_child("name").text().set(network_.c_str());
    network.append_child("bridge").append_attribute("name").set_value(bridge_.c_str());
    std::ostringstream out;
    doc.save(out);
    return out.str();
  }

  std::string network_;
  std::string bridge_;
  std::string hook_;
  bool made_hook_dir_ = false;
  bool installed_ = false;
};

TEST_F(LibvirtHookTest, AWorldNetworkStartsWithItsBridgeGuarded) {
  support::TempDir dir("worlds-it-hook-");
  std::ofstream(dir.File("net.xml")) << NetworkXml();
  it::Run define = it::Exec({"virsh", "-q", "-c", kUri, "net-define", dir.File("net.xml")});
  ASSERT_EQ(define.code, 0) << define.err;
  it::Run start = it::Exec({"virsh", "-q", "-c", kUri, "net-start", network_});
  ASSERT_EQ(start.code, 0) << start.err;

  // Without the hook a new bridge has arp_ignore=0 and rp_filter=0 (libvirt
  // itself sets disable_ipv6 on a bridge without IPv6 addresses).
  std::string v4 = "/proc/sys/net/ipv4/conf/" + bridge_ + "/";
  EXPECT_EQ(it::ReadFile(v4 + "arp_ignore"), "8\n");
  EXPECT_EQ(it::ReadFile(v4 + "rp_filter"), "1\n");
  if (fs::exists("/proc/sys/net/ipv6/conf/all/disable_ipv6")) {
    EXPECT_EQ(it::ReadFile("/proc/sys/net/ipv6/conf/" + bridge_ + "/disable_ipv6"), "1\n");
  }
}

}  // namespace

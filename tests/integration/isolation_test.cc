// Network isolation, seen from inside the guests: two Worlds of netlab with
// the same private addresses (router 10.10.0.1, client 10.10.0.10), booted
// under TCG; commands are typed into the VMs' serial consoles (libvirt's
// console stream, through virt::Hypervisor::OpenConsole) and the assertions
// read what the guests printed back.
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include "core/error.h"
#include "integration/deploy_fixture.h"
#include "integration/serial_session.h"
#include "support/roster.h"
#include "virt/hypervisor.h"

namespace {

using it::DeployTest;

constexpr int kBootSeconds = 300;     // 4 TCG guests on 2 shared cores

using it::SerialSession;

std::string Virsh(std::vector<std::string> args) {
  args.insert(args.begin(), {"virsh", "-q", "-c", "qemu:///system"});
  return it::Exec(args).out;
}

// The host's IPv4 addresses other than loopback (`ip -o -4 addr`): eth0's
// first, and virbr0's 192.168.122.1 when libvirt's default network is up.
std::vector<std::string> HostAddresses() {
  std::vector<std::string> out;
  std::string text = it::Exec({"ip", "-o", "-4", "addr"}).out;
  std::regex inet(" inet ([0-9.]+)/");
  for (std::sregex_iterator i(text.begin(), text.end(), inet), end; i != end; ++i) {
    std::string addr = (*i)[1].str();
    if (addr.rfind("127.", 0) != 0) out.push_back(addr);
  }
  return out;
}

long SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                          start)
      .count();
}

class IsolationTest : public DeployTest {
 protected:
  std::string Name() const override { return "isolation"; }

  void SetUp() override {
    DeployTest::SetUp();
    if (!ready_) return;
    // Two Worlds only: four TCG guests are what 2 cores can boot in time.
    roster_ = dir_ + "/two.csv";
    support::WriteRoster(roster_, {support::kAlice, support::kBob});
  }

  void TearDown() override {
    consoles_.clear();  // before the domains go
    hv_.reset();
    DeployTest::TearDown();
    if (!ready_) return;
    // destroy must power off the running guests, not only undefine them.
    EXPECT_EQ(Domains(), std::set<std::string>{});
    std::string nets = Virsh({"net-list", "--all", "--name"});
    EXPECT_EQ(nets.find("w-" + Lab() + "-"), std::string::npos) << nets;
  }

  std::string Dom(const char* owner, const char* vm) const {
    return core::DomainName(Lab(), owner, vm);
  }
  std::string Mac(const char* owner, const char* vm) const {
    return core::MacAddress(Dom(owner, vm), 0);
  }
  std::string Bridge(const char* owner) {
    std::string xml = Virsh({"net-dumpxml", core::NetworkName(Lab(), owner, "lan")});
    std::smatch m;
    return std::regex_search(xml, m, std::regex("<bridge name='([^']+)'")) ? m[1].str()
                                                                           : "";
  }

  // Starts the VMs, waits for each to finish booting and opens a shell on
  // each serial console. Fails the test (returns false) when one does not.
  bool Boot(const std::vector<std::pair<const char*, const char*>>& vms) {
    for (const auto& [owner, vm] : vms) {
      it::Run start = it::Exec({"virsh", "-c", "qemu:///system", "start", Dom(owner, vm)});
      if (start.code != 0) {
        ADD_FAILURE() << start.err;
        return false;
      }
    }
    hv_ = virt::NewLibvirtHypervisor("qemu:///system");
    for (const auto& [owner, vm] : vms) {
      std::string log = core::ConsoleLogPath(state_dir_, Lab(), owner, vm);
      if (!it::WaitForText(log, "tiny: boot complete", kBootSeconds)) {
        ADD_FAILURE() << Dom(owner, vm) << " did not boot:\n" << it::ReadFile(log);
        return false;
      }
      consoles_[Dom(owner, vm)] = std::make_unique<SerialSession>(*hv_, Dom(owner, vm));
      if (!Console(owner, vm).WaitForShell(120)) {
        ADD_FAILURE() << Dom(owner, vm) << ": no shell on ttyS0:\n"
                      << Console(owner, vm).Transcript();
        return false;
      }
    }
    return true;
  }

  SerialSession& Console(const char* owner, const char* vm) {
    return *consoles_.at(Dom(owner, vm));
  }

  std::unique_ptr<virt::Hypervisor> hv_;
  std::map<std::string, std::unique_ptr<SerialSession>> consoles_;
};

TEST_F(IsolationTest, WorldsWithTheSameAddressesReachOnlyTheirOwnVms) {
  auto started = std::chrono::steady_clock::now();
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  ASSERT_TRUE(Boot({{"alice", "router"}, {"alice", "client"}, {"bob", "router"},
                    {"bob", "client"}}));
  std::cout << "[ isolation ] 4 VMs booted after " << SecondsSince(started) << " s\n";
  SerialSession& alice = Console("alice", "client");
  std::string out;

  // 1. The neighbour in alice's own World answers.
  // Catches: a World whose own VMs cannot talk (bridge down, wrong address).
  EXPECT_EQ(alice.Run("ping -c 3 -W 2 10.10.0.1", &out), 0) << out;
  EXPECT_NE(out.find("64 bytes from 10.10.0.1"), std::string::npos) << out;
  std::cout << "[ alice client ] " << out << "\n";

  // 2. ...and it is alice's router that answered, not bob's (same address).
  // Catches: Worlds sharing one L2 segment, when bob's router answers ARP
  // first (a race: with the bridges joined on purpose, alice's often wins,
  // so check 3 is the one that always catches it).
  EXPECT_EQ(alice.Run("arp -n", &out), 0) << out;
  EXPECT_NE(out.find("(10.10.0.1) at " + Mac("alice", "router")), std::string::npos)
      << "alice's router is " << Mac("alice", "router") << ":\n" << out;
  EXPECT_EQ(out.find(Mac("bob", "router")), std::string::npos) << out;
  std::cout << "[ alice client ] " << out << "\n";

  // 3. An address only bob's World has: live for bob, absent for alice.
  // Catches: any path (shared bridge, forwarding between bridges) from
  // World A to World B; the control shows the address really answers.
  SerialSession& bob_router = Console("bob", "router");
  ASSERT_EQ(bob_router.Run("ip addr add 10.10.0.99/24 dev eth0", &out), 0) << out;
  EXPECT_EQ(Console("bob", "client").Run("ping -c 3 -W 2 10.10.0.99", &out), 0) << out;
  EXPECT_NE(out.find("64 bytes from 10.10.0.99"), std::string::npos) << out;
  std::cout << "[ bob client ] " << out << "\n";
  EXPECT_NE(alice.Run("ping -c 3 -W 2 10.10.0.99", &out), 0) << out;
  EXPECT_EQ(out.find("bytes from"), std::string::npos) << out;
  std::cout << "[ alice client ] " << out << "\n";
  // Not one of alice's ARP requests for 10.10.0.99 reached bob's router:
  // had one, its kernel would have recorded 10.10.0.10 at alice's MAC.
  EXPECT_EQ(bob_router.Run("ip neigh", &out), 0) << out;
  EXPECT_EQ(out.find(Mac("alice", "client")), std::string::npos)
      << "alice's client is " << Mac("alice", "client") << ":\n" << out;
  std::cout << "[ bob router ] " << out << "\n";

  // 4. The host. Its side first: no <forward>, no <ip> in the network, and
  // no IPv4 address on the World's bridge.
  std::string bridge = Bridge("alice");
  ASSERT_FALSE(bridge.empty());
  std::string net_xml = Virsh({"net-dumpxml", core::NetworkName(Lab(), "alice", "lan")});
  EXPECT_EQ(net_xml.find("<forward"), std::string::npos) << net_xml;
  EXPECT_EQ(net_xml.find("<ip"), std::string::npos) << net_xml;
  std::string bridge_addr = it::Exec({"ip", "-o", "addr", "show", "dev", bridge}).out;
  EXPECT_EQ(bridge_addr.find(" inet "), std::string::npos) << bridge_addr;
  std::cout << "[ host ] ip -o addr show dev " << bridge << ":\n" << bridge_addr;
  // Then from the guest, with an on-link default route so that it ARPs for
  // every host address straight on its bridge (not through its router).
  // Catches: a network given an <ip> (with or without <forward mode='nat'>):
  // the host then has a route back to 10.10.0.0/24 over the bridge, and
  // every one of its addresses answers the guest's pings.
  // Stricter than "no reply": the host's IP stack takes in nothing. With
  // Linux's defaults (rp_filter=0, arp_ignore=0) the host answered the
  // guest's ARP for its other addresses and accepted the echo requests
  // (only the replies were lost, for want of a route back), so a host
  // service on 0.0.0.0 heard the student. Catches: a World bridge without
  // virt::GuardBridge's settings. A raw socket sees every ICMP message the
  // host's stack accepts, whichever interface it came in by.
  int raw = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
  ASSERT_GE(raw, 0) << "raw ICMP socket: " << std::strerror(errno);
  std::unique_ptr<int, void (*)(int*)> raw_owner(&raw, [](int* fd) { ::close(*fd); });
  constexpr int kPayload = 77;  // an echo request size nobody else sends
  int received = 0;
  std::vector<std::string> host = HostAddresses();
  ASSERT_FALSE(host.empty()) << "the host has no IPv4 address to aim at";
  EXPECT_EQ(alice.Run("ip route replace default dev eth0", &out), 0) << out;
  for (const std::string& addr : host) {
    EXPECT_NE(alice.Run("arping -c 2 -w 3 -I eth0 " + addr, &out), 0)
        << "the host answered ARP for " << addr << " on " << bridge << ":\n" << out;
    std::cout << "[ alice client ] " << out << "\n";
    EXPECT_NE(alice.Run("ping -c 2 -W 2 -s " + std::to_string(kPayload) + " " + addr, &out), 0)
        << out;
    EXPECT_EQ(out.find("bytes from"), std::string::npos) << out;
    std::cout << "[ alice client ] " << out << "\n";
    char packet[2048];
    for (ssize_t n; (n = ::recv(raw, packet, sizeof packet, 0)) > 0;) {
      const auto* ip = reinterpret_cast<const struct iphdr*>(packet);
      if (n == 20 + 8 + kPayload && ip->saddr == htonl(0x0a0a000a) &&
          static_cast<unsigned char>(packet[20]) == ICMP_ECHO) {
        ++received;
      }
    }
  }
  EXPECT_EQ(received, 0) << "echo requests from 10.10.0.10 the host's IP stack took in";
  std::string host_neigh = it::Exec({"ip", "neigh", "show", "dev", bridge}).out;
  EXPECT_EQ(host_neigh, "") << "the host's ARP learned the guest on " << bridge;
  std::cout << "[ isolation ] done after " << SecondsSince(started) << " s\n";
}

}  // namespace

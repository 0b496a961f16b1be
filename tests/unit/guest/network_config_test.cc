#include "guest/network_config.h"

#include <gtest/gtest.h>

namespace guest {
namespace {

NicConfig Lan() {
  NicConfig nic;
  nic.interface = "lan";
  nic.address = "10.10.0.2";
  nic.prefix = 24;
  nic.mac = "52:54:00:12:34:56";
  nic.network = "lan";
  nic.gateway = "10.10.0.1";
  nic.dns = {"10.10.0.1", "9.9.9.9"};
  return nic;
}

TEST(NicNamesTest, UdevGuestsNameNicsAfterTheirNetwork) {
  OsInfo os;
  os.udev = true;
  EXPECT_EQ(NicNames(os, {"lan", "dmz", "lan"}), (std::vector<std::string>{"lan", "dmz", "lan2"}));
  // 15 characters at most, even with a suffix; never the kernel's eth*.
  EXPECT_EQ(NicNames(os, {"abcdefghijklmnopqrst", "abcdefghijklmnopqrst", "eth0"}),
            (std::vector<std::string>{"abcdefghijklmno", "abcdefghijklmn2", "n-eth0"}));
}

TEST(NicNamesTest, GuestsWithoutUdevKeepTheKernelsNames) {
  EXPECT_EQ(NicNames(OsInfo{}, {"lan", "dmz"}), (std::vector<std::string>{"eth0", "eth1"}));
}

TEST(IfupdownTest, StanzasUseCidrAndGateway) {
  NicConfig dmz = Lan();
  dmz.interface = "dmz";
  dmz.address = "192.168.1.5";
  dmz.gateway.clear();
  EXPECT_EQ(RenderIfupdownStanzas({Lan(), dmz}),
            "# Written by Worlds before this VM's first boot: the lab's NICs.\n"
            "\nauto lan\niface lan inet static\n    address 10.10.0.2/24\n"
            "    gateway 10.10.0.1\n"
            "\nauto dmz\niface dmz inet static\n    address 192.168.1.5/24\n");
}

TEST(IfupdownTest, BaseKeepsItsSourceLineAndDisablesDhcpStanzas) {
  const std::string debian =
      "source /etc/network/interfaces.d/*\n"
      "\n"
      "auto lo\n"
      "iface lo inet loopback\n"
      "\n"
      "allow-hotplug ens2\n"
      "iface ens2 inet dhcp\n"
      "    hostname debian\n"
      "iface ens2 inet6 auto\n";
  const char kOff[] = "# disabled by Worlds (the lab configures this NIC): ";
  EXPECT_EQ(RenderIfupdownBase(debian),
            "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\n" +
                std::string(kOff) + "allow-hotplug ens2\n" + kOff + "iface ens2 inet dhcp\n" +
                kOff + "    hostname debian\n" + kOff + "iface ens2 inet6 auto\n");
}

TEST(IfupdownTest, BaseWithoutSourceGetsOne) {
  EXPECT_EQ(RenderIfupdownBase("auto lo\niface lo inet loopback\n"),
            "auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n");
  EXPECT_EQ(RenderIfupdownBase(""), "\nsource /etc/network/interfaces.d/*\n");
}

TEST(IfupdownTest, StaticStanzasOfOtherNicsAreKept) {
  const std::string text = "auto eth9\niface eth9 inet static\n    address 1.2.3.4/8\n";
  EXPECT_EQ(RenderIfupdownBase(text), text + "\nsource /etc/network/interfaces.d/*\n");
}

TEST(NetplanTest, MatchesByMacAndRenames) {
  EXPECT_EQ(RenderNetplan({Lan()}, /*rename=*/true),
            "# Written by Worlds before this VM's first boot: the lab's NICs.\n"
            "network:\n"
            "  version: 2\n"
            "  ethernets:\n"
            "    lan:\n"
            "      match:\n"
            "        macaddress: \"52:54:00:12:34:56\"\n"
            "      set-name: lan\n"
            "      dhcp4: false\n"
            "      dhcp6: false\n"
            "      accept-ra: false\n"
            "      addresses: [\"10.10.0.2/24\"]\n"
            "      routes:\n"
            "        - to: default\n"
            "          via: 10.10.0.1\n"
            "      nameservers:\n"
            "        addresses: [10.10.0.1, 9.9.9.9]\n");
  EXPECT_EQ(RenderNetplan({Lan()}, false).find("set-name"), std::string::npos);
}

TEST(NetworkManagerTest, KeyfileIsBoundToTheMac) {
  const std::string text = RenderNmKeyfile(Lan());
  EXPECT_NE(text.find("[ethernet]\nmac-address=52:54:00:12:34:56\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[ipv4]\nmethod=manual\naddress1=10.10.0.2/24,10.10.0.1\n"
                      "dns=10.10.0.1;9.9.9.9;\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("id=worlds-lan\n"), std::string::npos);
  // The same NIC gets the same UUID every time; another NIC another one.
  NicConfig other = Lan();
  other.mac = "52:54:00:12:34:57";
  const auto uuid = [](const std::string& t) { return t.substr(t.find("uuid="), 41); };
  EXPECT_EQ(uuid(text), uuid(RenderNmKeyfile(Lan())));
  EXPECT_NE(uuid(text), uuid(RenderNmKeyfile(other)));
  EXPECT_EQ(RenderNmNoAutoDefault().find("[main]\nno-auto-default=*\n") != std::string::npos, true);
}

TEST(NetworkdTest, NetworkAndLinkFilesMatchTheMac) {
  EXPECT_EQ(RenderNetworkdNetwork(Lan()),
            "# Written by Worlds before this VM's first boot.\n"
            "[Match]\nMACAddress=52:54:00:12:34:56\n\n"
            "[Network]\nDHCP=no\nIPv6AcceptRA=no\nAddress=10.10.0.2/24\n"
            "Gateway=10.10.0.1\nDNS=10.10.0.1\nDNS=9.9.9.9\n");
  EXPECT_EQ(RenderLinkFile(Lan()),
            "# Written by Worlds before this VM's first boot: the NIC on lab network 'lan'.\n"
            "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Link]\nName=lan\n");
}

TEST(NetworkScriptsTest, IfcfgNamesTheHardwareAddress) {
  EXPECT_EQ(RenderIfcfg(Lan()),
            "# Written by Worlds before this VM's first boot.\n"
            "DEVICE=lan\nNAME=lan\nHWADDR=52:54:00:12:34:56\nTYPE=Ethernet\nONBOOT=yes\n"
            "BOOTPROTO=none\nIPADDR=10.10.0.2\nPREFIX=24\nIPV6INIT=no\n"
            "GATEWAY=10.10.0.1\nDEFROUTE=yes\nDNS1=10.10.0.1\nDNS2=9.9.9.9\n");
}

TEST(ResolvConfTest, UnionOfTheResolversOrNothing) {
  NicConfig second = Lan();
  second.dns = {"9.9.9.9", "1.1.1.1"};
  EXPECT_EQ(RenderResolvConf({Lan(), second}),
            "# Written by Worlds before this VM's first boot.\n"
            "nameserver 10.10.0.1\nnameserver 9.9.9.9\nnameserver 1.1.1.1\n");
  EXPECT_EQ(RenderResolvConf({NicConfig{}}), "");
}

TEST(DhcpConfigTest, FindsEachStacksDhcpFilesWhereverTheLineIs) {
  EXPECT_TRUE(IsDhcpConfig(kIfupdown, "ens2",
                           "# The primary network interface\nallow-hotplug ens2\n"
                           "iface ens2 inet dhcp\n"));
  EXPECT_TRUE(IsDhcpConfig(kIfupdown, "x", "iface eth0 inet6 auto\n"));
  EXPECT_FALSE(IsDhcpConfig(kIfupdown, "worlds", "auto lan\niface lan inet static\n"));
  EXPECT_FALSE(IsDhcpConfig(kIfupdown, "x", "# iface ens2 inet dhcp\n"));
  EXPECT_TRUE(IsDhcpConfig(kNetplan, "50-cloud-init.yaml",
                           "network:\n  ethernets:\n    ens2:\n      dhcp4: true\n"));
  EXPECT_FALSE(IsDhcpConfig(kNetplan, "50-cloud-init.yaml.bak", "dhcp4: true\n"));
  EXPECT_FALSE(IsDhcpConfig(kNetplan, "60-worlds.yaml", "      dhcp4: false\n"));
  EXPECT_TRUE(IsDhcpConfig(kNetworkManager, "Wired.nmconnection",
                           "[connection]\nid=Wired\n[ipv4]\nmethod=auto\n"));
  EXPECT_FALSE(IsDhcpConfig(kNetworkManager, "w.nmconnection", "[ipv4]\nmethod=manual\n"));
  EXPECT_TRUE(
      IsDhcpConfig(kNetworkd, "80-dhcp.network", "[Match]\nName=en*\n[Network]\nDHCP=yes\n"));
  EXPECT_FALSE(IsDhcpConfig(kNetworkd, "80-dhcp.link", "DHCP=yes\n"));
  EXPECT_TRUE(IsDhcpConfig(kNetworkScripts, "ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=\"dhcp\"\n"));
  EXPECT_FALSE(IsDhcpConfig(kNetworkScripts, "ifcfg-lo", "BOOTPROTO=dhcp\n"));
  EXPECT_FALSE(IsDhcpConfig(kBusybox, "interfaces", "iface eth0 inet dhcp\n"));
  EXPECT_EQ(NetworkConfigDir(kNetplan), "/etc/netplan");
  EXPECT_EQ(NetworkConfigDir(kBusybox), "");
}

}  // namespace
}  // namespace guest

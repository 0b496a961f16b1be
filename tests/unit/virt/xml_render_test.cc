#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>

#include "core/error.h"
#include "support/error_text.h"
#include "virt/hypervisor.h"
#include "virt/partition.h"

namespace virt {
namespace {

DomainSpec SampleDomain() {
  DomainSpec spec;
  spec.name = "w-netlab-alice-router";
  spec.accel = "qemu";
  spec.memory_mib = 384;
  spec.vcpus = 2;
  spec.disk_path = "/var/lib/worlds/netlab/alice/router.qcow2";
  spec.interfaces = {{"w-netlab-alice-lan", "52:54:00:00:00:01"},
                     {"w-netlab-alice-wan", "52:54:00:00:00:02"}};
  spec.title = "netlab: alice's router";
  return spec;
}

void Parse(const std::string& xml, pugi::xml_document* doc) {
  pugi::xml_parse_result result = doc->load_string(xml.c_str());
  ASSERT_TRUE(result) << result.description() << "\n" << xml;
}

TEST(RenderNetworkXmlTest, IsolatedBridgeWithoutForwardOrIp) {
  pugi::xml_document doc;
  Parse(RenderNetworkXml({"w-netlab-alice-lan", "wb0123456789abc"}), &doc);
  EXPECT_STREQ(doc.select_node("/network/name").node().child_value(),
               "w-netlab-alice-lan");
  pugi::xml_node bridge = doc.select_node("/network/bridge").node();
  EXPECT_STREQ(bridge.attribute("name").value(), "wb0123456789abc");
  EXPECT_STREQ(bridge.attribute("stp").value(), "on");
  EXPECT_STREQ(bridge.attribute("delay").value(), "0");
  EXPECT_FALSE(doc.select_node("//forward"));
  EXPECT_FALSE(doc.select_node("//ip"));
  EXPECT_FALSE(doc.select_node("//dhcp"));
}

TEST(RenderNetworkXmlTest, RejectsBridgeNamesLinuxWouldRefuse) {
  EXPECT_EQ(support::ErrorText([&] {
              RenderNetworkXml({"w-netlab-alice-lan", "wb0123456789abcd"});
            }),
            "w-netlab-alice-lan: bridge name 'wb0123456789abcd' must have 1 "
            "to 15 characters");
  EXPECT_THROW(RenderNetworkXml({"w-netlab-alice-lan", ""}), core::Error);
}

TEST(RenderDomainXmlTest, FillsEveryField) {
  pugi::xml_document doc;
  Parse(RenderDomainXml(SampleDomain()), &doc);
  pugi::xml_node domain = doc.child("domain");
  EXPECT_STREQ(domain.attribute("type").value(), "qemu");
  EXPECT_STREQ(domain.child_value("name"), "w-netlab-alice-router");
  EXPECT_STREQ(domain.child_value("title"), "netlab: alice's router");
  EXPECT_STREQ(domain.child_value("memory"), "384");
  EXPECT_STREQ(domain.child("memory").attribute("unit").value(), "MiB");
  EXPECT_STREQ(domain.child_value("vcpu"), "2");
  pugi::xml_node type = domain.child("os").child("type");
  EXPECT_STREQ(type.child_value(), "hvm");
  EXPECT_STREQ(type.attribute("arch").value(), "x86_64");
  EXPECT_STREQ(type.attribute("machine").value(), "pc");
  EXPECT_TRUE(doc.select_node("/domain/features/acpi"));
  EXPECT_STREQ(domain.child_value("on_poweroff"), "destroy");
  EXPECT_STREQ(domain.child_value("on_reboot"), "restart");
  EXPECT_STREQ(domain.child_value("on_crash"), "destroy");
  // TCG cannot pass the host CPU through, and libvirt picks the emulator.
  EXPECT_FALSE(doc.select_node("//cpu"));
  EXPECT_FALSE(doc.select_node("//emulator"));
  EXPECT_FALSE(doc.select_node("//graphics"));

  pugi::xml_node disk = doc.select_node("/domain/devices/disk").node();
  EXPECT_STREQ(disk.attribute("type").value(), "file");
  EXPECT_STREQ(disk.attribute("device").value(), "disk");
  EXPECT_STREQ(disk.child("driver").attribute("name").value(), "qemu");
  EXPECT_STREQ(disk.child("driver").attribute("type").value(), "qcow2");
  EXPECT_STREQ(disk.child("source").attribute("file").value(),
               "/var/lib/worlds/netlab/alice/router.qcow2");
  EXPECT_STREQ(disk.child("target").attribute("dev").value(), "vda");
  EXPECT_STREQ(disk.child("target").attribute("bus").value(), "virtio");

  pugi::xpath_node_set ifaces = doc.select_nodes("/domain/devices/interface");
  ASSERT_EQ(ifaces.size(), 2u);
  const char* nets[] = {"w-netlab-alice-lan", "w-netlab-alice-wan"};
  const char* macs[] = {"52:54:00:00:00:01", "52:54:00:00:00:02"};
  for (size_t i = 0; i < 2; ++i) {
    pugi::xml_node iface = ifaces[i].node();
    EXPECT_STREQ(iface.attribute("type").value(), "network");
    EXPECT_STREQ(iface.child("source").attribute("network").value(), nets[i]);
    EXPECT_STREQ(iface.child("mac").attribute("address").value(), macs[i]);
    EXPECT_STREQ(iface.child("model").attribute("type").value(), "virtio");
  }

  EXPECT_STREQ(doc.select_node("/domain/devices/serial").node().attribute("type").value(),
               "pty");
  EXPECT_STREQ(doc.select_node("/domain/devices/serial/target")
                   .node().attribute("port").value(), "0");
  pugi::xml_node console = doc.select_node("/domain/devices/console").node();
  EXPECT_STREQ(console.attribute("type").value(), "pty");
  EXPECT_STREQ(console.child("target").attribute("type").value(), "serial");
  EXPECT_FALSE(doc.select_node("//comment()"));
}

TEST(RenderDomainXmlTest, AccelIsTheDomainType) {
  DomainSpec spec = SampleDomain();
  spec.accel = "kvm";
  pugi::xml_document doc;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_STREQ(doc.child("domain").attribute("type").value(), "kvm");
  spec.accel = "xen";
  EXPECT_EQ(support::ErrorText([&] { RenderDomainXml(spec); }),
            "w-netlab-alice-router: unknown acceleration 'xen' (use 'kvm' or 'qemu')");
}

TEST(RenderDomainXmlTest, DefaultPartitionHasNoResourceElement) {
  pugi::xml_document doc;
  Parse(RenderDomainXml(SampleDomain()), &doc);
  EXPECT_FALSE(doc.select_node("//resource"));
}

TEST(RenderDomainXmlTest, PartitionIsTheResourcePartition) {
  DomainSpec spec = SampleDomain();
  spec.partition = "/machine/worlds/netlab_alice";
  pugi::xml_document doc;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_STREQ(doc.select_node("/domain/resource/partition").node().child_value(),
               "/machine/worlds/netlab_alice");
  EXPECT_EQ(doc.select_nodes("/domain/resource/*").size(), 1u);
}

TEST(RenderDomainXmlTest, CpuLimitTravelsInWorldsMetadata) {
  DomainSpec spec = SampleDomain();
  spec.partition = "/machine/worlds/netlab_alice";
  spec.cpu_limit_percent = 150;
  std::string xml = RenderDomainXml(spec);
  PartitionSpec back = PartitionOfDomainXml(xml);
  EXPECT_EQ(back.path, "/machine/worlds/netlab_alice");
  EXPECT_EQ(back.cpu_limit_percent, 150);
  pugi::xml_document doc;
  Parse(xml, &doc);
  EXPECT_EQ(doc.select_nodes("/domain/metadata/*").size(), 1u);
  // No limit, no metadata.
  spec.cpu_limit_percent = 0;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_FALSE(doc.select_node("/domain/metadata"));
}

TEST(RenderDomainXmlTest, CpuLimitNeedsAPartition) {
  DomainSpec spec = SampleDomain();
  spec.cpu_limit_percent = 150;
  EXPECT_EQ(support::ErrorText([&] { RenderDomainXml(spec); }),
            "w-netlab-alice-router: a CPU limit needs a resource partition to limit (set "
            "cpu-partitions = world, or leave cpu-limit out of the lab)");
  spec.partition = "/machine/worlds/netlab_alice";
  spec.cpu_limit_percent = -1;
  EXPECT_THROW(RenderDomainXml(spec), core::Error);
}

TEST(RenderDomainXmlTest, RejectsARelativePartition) {
  DomainSpec spec = SampleDomain();
  spec.partition = "machine/worlds/netlab_alice";
  EXPECT_EQ(support::ErrorText([&] { RenderDomainXml(spec); }),
            "w-netlab-alice-router: resource partition 'machine/worlds/netlab_alice' is "
            "not absolute (name it from the root, e.g. /machine/worlds/...)");
}

TEST(RenderDomainXmlTest, BootsFromDiskWithoutKernel) {
  pugi::xml_document doc;
  Parse(RenderDomainXml(SampleDomain()), &doc);
  EXPECT_STREQ(doc.select_node("/domain/os/boot").node().attribute("dev").value(), "hd");
  EXPECT_FALSE(doc.select_node("//kernel"));
  EXPECT_FALSE(doc.select_node("//initrd"));
  EXPECT_FALSE(doc.select_node("//cmdline"));
}

TEST(RenderDomainXmlTest, DirectKernelBootOnlyWhenSet) {
  DomainSpec spec = SampleDomain();
  spec.kernel = "/images/vmlinuz";
  spec.initrd = "/images/initrd.img";
  spec.cmdline = "root=/dev/vda console=ttyS0";
  pugi::xml_document doc;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_STREQ(doc.select_node("/domain/os/kernel").node().child_value(), "/images/vmlinuz");
  EXPECT_STREQ(doc.select_node("/domain/os/initrd").node().child_value(),
               "/images/initrd.img");
  EXPECT_STREQ(doc.select_node("/domain/os/cmdline").node().child_value(),
               "root=/dev/vda console=ttyS0");
  EXPECT_FALSE(doc.select_node("//boot"));

  spec.initrd.clear();
  spec.cmdline.clear();
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_TRUE(doc.select_node("/domain/os/kernel"));
  EXPECT_FALSE(doc.select_node("//initrd"));
  EXPECT_FALSE(doc.select_node("//cmdline"));
}

TEST(RenderDomainXmlTest, ConsoleLogOnlyWhenSet) {
  DomainSpec spec = SampleDomain();
  pugi::xml_document doc;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_FALSE(doc.select_node("//log"));

  spec.console_log = "/var/lib/worlds/netlab/alice/router.log";
  Parse(RenderDomainXml(spec), &doc);
  pugi::xml_node log = doc.select_node("/domain/devices/serial/log").node();
  EXPECT_STREQ(log.attribute("file").value(), "/var/lib/worlds/netlab/alice/router.log");
  EXPECT_STREQ(log.attribute("append").value(), "on");
}

TEST(RenderDomainXmlTest, NoInterfacesAndMacLeftToLibvirt) {
  DomainSpec spec = SampleDomain();
  spec.interfaces.clear();
  pugi::xml_document doc;
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_FALSE(doc.select_node("//interface"));

  spec.interfaces = {{"w-netlab-alice-lan", ""}};
  Parse(RenderDomainXml(spec), &doc);
  EXPECT_TRUE(doc.select_node("/domain/devices/interface/source"));
  EXPECT_FALSE(doc.select_node("//mac"));
}

TEST(RenderDomainXmlTest, RejectsImpossibleSpecs) {
  DomainSpec spec = SampleDomain();
  spec.memory_mib = 0;
  EXPECT_THROW(RenderDomainXml(spec), core::Error);
  spec = SampleDomain();
  spec.disk_path.clear();
  EXPECT_EQ(support::ErrorText([&] { RenderDomainXml(spec); }),
            "w-netlab-alice-router: disk path is empty");
}

TEST(RenderSnapshotXmlTest, NameAndDescription) {
  pugi::xml_document doc;
  Parse(RenderSnapshotXml("clean", "before first boot"), &doc);
  EXPECT_STREQ(doc.select_node("/domainsnapshot/name").node().child_value(), "clean");
  EXPECT_STREQ(doc.select_node("/domainsnapshot/description").node().child_value(),
               "before first boot");
}

TEST(RenderAdoptedSnapshotXmlTest, CarriesWhatRedefineNeeds) {
  std::string domain_xml = RenderDomainXml(SampleDomain());
  pugi::xml_document doc;
  Parse(RenderAdoptedSnapshotXml("clean", domain_xml, 1700000000), &doc);
  pugi::xml_node snap = doc.child("domainsnapshot");
  EXPECT_STREQ(snap.child_value("name"), "clean");
  EXPECT_STREQ(snap.child_value("creationTime"), "1700000000");
  EXPECT_STREQ(snap.child_value("state"), "shutoff");
  pugi::xml_node disk = snap.child("disks").child("disk");
  EXPECT_STREQ(disk.attribute("name").value(), "vda");
  EXPECT_STREQ(disk.attribute("snapshot").value(), "internal");
  EXPECT_STREQ(snap.child("domain").child_value("name"), "w-netlab-alice-router");
  EXPECT_EQ(doc.select_nodes("//interface").size(), 2u);
}

// A domain moving to another host: its disk and console log (in the
// snapshot's copy of the domain too) take the new host's paths; the base
// image and kernel keep theirs (the same image dir on every host).
TEST(RelocateXmlTest, MovesTheNamedFilesOnly) {
  DomainSpec spec = SampleDomain();
  spec.console_log = "/var/lib/worlds/worlds/netlab/alice/router.console.log";
  std::string snapshot = RenderAdoptedSnapshotXml("clean", RenderDomainXml(spec), 1);
  std::string moved = RelocateXml(
      snapshot, {{spec.disk_path, "/srv/h2/router.qcow2"},
                 {spec.console_log, "/srv/h2/router.console.log"}});
  pugi::xml_document doc;
  Parse(moved, &doc);
  EXPECT_STREQ(doc.select_node("//disk/source").node().attribute("file").value(),
               "/srv/h2/router.qcow2");
  for (const pugi::xpath_node& log : doc.select_nodes("//log")) {
    EXPECT_STREQ(log.node().attribute("file").value(), "/srv/h2/router.console.log");
  }
  EXPECT_STREQ(doc.select_node("//kernel").node().child_value(),
               spec.kernel.c_str());
  EXPECT_STREQ(doc.child("domainsnapshot").child_value("name"), "clean");
  EXPECT_EQ(support::ErrorText([&] { RelocateXml("<domain", {}); }),
            "libvirt returned a definition that is not XML");
}

TEST(RenderAdoptedSnapshotXmlTest, RefusesADomainThatIsNotXml) {
  EXPECT_EQ(support::ErrorText([&] { RenderAdoptedSnapshotXml("clean", "<domain", 0); }),
            "clean: libvirt returned a domain definition that is not XML");
}

}  // namespace
}  // namespace virt

// Every value reaches libvirt escaped: each character that means something
// in XML comes out as an entity where it must, and parses back to the input.
#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>

#include "core/error.h"
#include "support/error_text.h"
#include "virt/hypervisor.h"

namespace virt {
namespace {

struct Special {
  std::string ch;
  const char* entity;
};
// pugixml quotes attributes with '"', so "'" never needs escaping and '"'
// only there; '<' and '&' always; '>' is legal in attributes and escaped in
// text. Each entity must appear somewhere in the output.
const Special kSpecials[] = {
    {"'", nullptr}, {"\"", "&quot;"}, {"<", "&lt;"}, {">", "&gt;"}, {"&", "&amp;"}};

TEST(XmlEscapeTest, NetworkValuesRoundTrip) {
  for (const Special& s : kSpecials) {
    std::string name = "w-a" + s.ch + "b";
    std::string bridge = "br" + s.ch + "x";
    std::string xml = RenderNetworkXml({name, bridge});
    if (s.entity) {
      EXPECT_NE(xml.find(s.entity), std::string::npos) << xml;
    }
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
    EXPECT_EQ(doc.child("network").child_value("name"), name);
    EXPECT_EQ(doc.child("network").child("bridge").attribute("name").value(), bridge);
    EXPECT_EQ(std::string(doc.child("network").first_child().name()), "name") << xml;
  }
}

TEST(XmlEscapeTest, DomainValuesRoundTrip) {
  for (const Special& s : kSpecials) {
    DomainSpec spec;
    spec.name = "w" + s.ch + "name";
    spec.title = "title " + s.ch;
    spec.disk_path = "/d" + s.ch + "/x.qcow2";
    spec.disk_format = "q" + s.ch;
    spec.interfaces = {{"net" + s.ch, "mac" + s.ch}};
    spec.kernel = "/k" + s.ch;
    spec.initrd = "/i" + s.ch;
    spec.cmdline = "console=ttyS0 x=" + s.ch;
    spec.console_log = "/log" + s.ch;
    spec.partition = "/machine/p" + s.ch;
    std::string xml = RenderDomainXml(spec);
    // The injected character never shows raw where markup could start.
    if (s.ch == "<" || s.ch == "&") {
      EXPECT_EQ(xml.find("w" + s.ch + "name"), std::string::npos) << xml;
    }
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
    pugi::xml_node d = doc.child("domain");
    EXPECT_EQ(d.child_value("name"), spec.name);
    EXPECT_EQ(d.child_value("title"), spec.title);
    EXPECT_EQ(d.child("os").child_value("kernel"), spec.kernel);
    EXPECT_EQ(d.child("os").child_value("initrd"), spec.initrd);
    EXPECT_EQ(d.child("os").child_value("cmdline"), spec.cmdline);
    pugi::xml_node dev = d.child("devices");
    EXPECT_EQ(dev.child("disk").child("source").attribute("file").value(), spec.disk_path);
    EXPECT_EQ(dev.child("disk").child("driver").attribute("type").value(),
              spec.disk_format);
    EXPECT_EQ(dev.child("interface").child("source").attribute("network").value(),
              spec.interfaces[0].network);
    EXPECT_EQ(dev.child("interface").child("mac").attribute("address").value(),
              spec.interfaces[0].mac);
    EXPECT_EQ(dev.child("serial").child("log").attribute("file").value(),
              spec.console_log);
    EXPECT_EQ(d.child("resource").child_value("partition"), spec.partition);
    // Structure unchanged: nothing was injected.
    EXPECT_EQ(doc.select_nodes("//interface").size(), 1u);
    EXPECT_EQ(doc.select_nodes("//disk").size(), 1u);
    EXPECT_EQ(doc.select_nodes("//partition").size(), 1u);
  }
}

TEST(XmlEscapeTest, InjectionAttemptStaysAValue) {
  DomainSpec spec;
  spec.name = "x</name><devices><disk type='file'><source file='/etc/shadow'/>";
  spec.disk_path = "/a' /><source file='/etc/shadow";
  std::string xml = RenderDomainXml(spec);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_EQ(doc.child("domain").child_value("name"), spec.name);
  EXPECT_EQ(doc.select_nodes("//source").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//devices").size(), 1u);
  EXPECT_EQ(doc.select_node("//disk/source").node().attribute("file").value(),
            spec.disk_path);
}

TEST(XmlEscapeTest, SnapshotValuesRoundTrip) {
  for (const Special& s : kSpecials) {
    std::string xml = RenderSnapshotXml("c" + s.ch, "d" + s.ch);
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
    EXPECT_EQ(doc.child("domainsnapshot").child_value("name"), "c" + s.ch);
    EXPECT_EQ(doc.child("domainsnapshot").child_value("description"), "d" + s.ch);
  }
}

TEST(XmlEscapeTest, ControlCharactersAndNulAreRefused) {
  DomainSpec spec;
  spec.name = "w-x";
  spec.disk_path = std::string("/a\0b", 4);
  EXPECT_EQ(support::ErrorText([&] { RenderDomainXml(spec); }),
            "w-x: disk path contains a control character");
  spec.disk_path = "/a\nb";
  EXPECT_THROW(RenderDomainXml(spec), core::Error);
  EXPECT_THROW(RenderNetworkXml({"w\x01", "br0"}), core::Error);
  spec.disk_path = "/a";
  spec.cmdline = "a\tb";  // a tab is legal XML and harmless
  spec.kernel = "/k";
  EXPECT_NO_THROW(RenderDomainXml(spec));
}

}  // namespace
}  // namespace virt

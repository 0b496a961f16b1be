// libvirt XML from the templates in templates/, filled through pugixml so
// every value is escaped by the library and input can never become markup.
#include <map>
#include <sstream>
#include <string>

#include <pugixml.hpp>

#include "core/embedded.h"
#include "core/error.h"
#include "virt/hypervisor.h"
#include "virt/partition.h"

namespace virt {
namespace {

constexpr const char* kNetworkTemplate = "templates/network.xml";
constexpr const char* kDomainTemplate = "templates/domain.xml";
constexpr const char* kSnapshotTemplate = "templates/snapshot.xml";

// A template is part of the binary; failing here means a broken build, not
// bad input, so the fix points at the build.
void LoadTemplate(const char* path, pugi::xml_document* doc) {
  auto text = core::EmbeddedFile(path);
  if (!text) {
    throw core::Error("template is not embedded in this build", path,
                      "re-run cmake so templates/ is embedded");
  }
  pugi::xml_parse_result parsed = doc->load_buffer(text->data(), text->size());
  if (!parsed) {
    throw core::Error(std::string("template is not valid XML: ") +
                          parsed.description(),
                      path);
  }
}

pugi::xml_node Must(const pugi::xml_node& from, const char* element_path,
                    const char* template_path) {
  pugi::xml_node node = from.first_element_by_path(element_path);
  if (!node) {
    throw core::Error(std::string("template has no <") + element_path + ">",
                      template_path);
  }
  return node;
}

pugi::xml_attribute MustAttr(const pugi::xml_node& node, const char* name,
                             const char* template_path) {
  pugi::xml_attribute attr = node.attribute(name);
  if (!attr) {
    throw core::Error(std::string("template has no attribute '") + name +
                          "' on <" + node.name() + ">",
                      template_path);
  }
  return attr;
}

// XML 1.0 cannot carry most control characters even escaped, and pugixml's
// C-string setters would silently cut a value at a NUL: refuse both rather
// than hand libvirt something other than what we were given.
void CheckValue(const std::string& value, const char* field,
                const std::string& where) {
  for (unsigned char c : value) {
    if (c < 0x20 && c != '\t') {
      throw core::Error(std::string(field) + " contains a control character",
                        where);
    }
  }
}

void SetText(pugi::xml_node node, const std::string& value, const char* field,
             const std::string& where) {
  CheckValue(value, field, where);
  node.text().set(value.c_str());
}

void SetAttr(pugi::xml_attribute attr, const std::string& value,
             const char* field, const std::string& where) {
  CheckValue(value, field, where);
  attr.set_value(value.c_str());
}

std::string Save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration);
  return out.str();
}

void FillOs(const DomainSpec& spec, pugi::xml_node os) {
  const char* t = kDomainTemplate;
  pugi::xml_node kernel = Must(os, "kernel", t);
  pugi::xml_node initrd = Must(os, "initrd", t);
  pugi::xml_node cmdline = Must(os, "cmdline", t);
  pugi::xml_node boot = Must(os, "boot", t);
  if (spec.kernel.empty()) {
    // Boot from the disk's own boot loader.
    os.remove_child(kernel);
    os.remove_child(initrd);
    os.remove_child(cmdline);
    return;
  }
  os.remove_child(boot);
  SetText(kernel, spec.kernel, "kernel path", spec.name);
  if (spec.initrd.empty()) {
    os.remove_child(initrd);
  } else {
    SetText(initrd, spec.initrd, "initrd path", spec.name);
  }
  if (spec.cmdline.empty()) {
    os.remove_child(cmdline);
  } else {
    SetText(cmdline, spec.cmdline, "kernel command line", spec.name);
  }
}

void FillDevices(const DomainSpec& spec, pugi::xml_node devices) {
  const char* t = kDomainTemplate;
  pugi::xml_node disk = Must(devices, "disk", t);
  SetAttr(MustAttr(Must(disk, "driver", t), "type", t), spec.disk_format,
          "disk format", spec.name);
  SetAttr(MustAttr(Must(disk, "source", t), "file", t), spec.disk_path,
          "disk path", spec.name);

  // One copy of the template <interface> per NIC, in order, then the
  // template itself goes.
  pugi::xml_node model_iface = Must(devices, "interface", t);
  for (const InterfaceSpec& nic : spec.interfaces) {
    pugi::xml_node iface = devices.insert_copy_before(model_iface, model_iface);
    SetAttr(MustAttr(Must(iface, "source", t), "network", t), nic.network,
            "interface network", spec.name);
    pugi::xml_node mac = Must(iface, "mac", t);
    if (nic.mac.empty()) {
      iface.remove_child(mac);  // libvirt generates one
    } else {
      SetAttr(MustAttr(mac, "address", t), nic.mac, "MAC address", spec.name);
    }
  }
  devices.remove_child(model_iface);

  pugi::xml_node serial = Must(devices, "serial", t);
  pugi::xml_node log = Must(serial, "log", t);
  if (spec.console_log.empty()) {
    serial.remove_child(log);
  } else {
    SetAttr(MustAttr(log, "file", t), spec.console_log, "console log path",
            spec.name);
  }
}

}  // namespace

std::string RenderNetworkXml(const NetworkSpec& spec) {
  const char* t = kNetworkTemplate;
  if (spec.name.empty()) throw core::Error("network name is empty", t);
  if (spec.bridge.empty() || spec.bridge.size() > 15) {
    throw core::Error("bridge name '" + spec.bridge +
                          "' must have 1 to 15 characters",
                      spec.name);
  }
  pugi::xml_document doc;
  LoadTemplate(t, &doc);
  SetText(Must(doc, "network/name", t), spec.name, "network name", spec.name);
  SetAttr(MustAttr(Must(doc, "network/bridge", t), "name", t), spec.bridge,
          "bridge name", spec.name);
  return Save(doc);
}

std::string RenderDomainXml(const DomainSpec& spec) {
  const char* t = kDomainTemplate;
  if (spec.name.empty()) throw core::Error("domain name is empty", t);
  if (spec.accel != "qemu" && spec.accel != "kvm") {
    throw core::Error("unknown acceleration '" + spec.accel + "'", spec.name,
                      "use 'kvm' or 'qemu'");
  }
  if (spec.memory_mib <= 0 || spec.vcpus <= 0) {
    throw core::Error("memory and vcpus must be positive", spec.name);
  }
  if (spec.disk_path.empty()) throw core::Error("disk path is empty", spec.name);

  pugi::xml_document doc;
  LoadTemplate(t, &doc);
  pugi::xml_node domain = Must(doc, "domain", t);
  MustAttr(domain, "type", t).set_value(spec.accel.c_str());
  SetText(Must(domain, "name", t), spec.name, "domain name", spec.name);
  pugi::xml_node title = Must(domain, "title", t);
  if (spec.title.empty()) {
    domain.remove_child(title);
  } else {
    SetText(title, spec.title, "title", spec.name);
  }
  Must(domain, "memory", t).text().set(spec.memory_mib);
  Must(domain, "vcpu", t).text().set(spec.vcpus);
  pugi::xml_node resource = Must(domain, "resource", t);
  if (spec.partition.empty()) {
    domain.remove_child(resource);
  } else {
    // libvirt refuses a relative one only when the domain starts.
    if (spec.partition[0] != '/') {
      throw core::Error("resource partition '" + spec.partition + "' is not absolute",
                        spec.name, "name it from the root, e.g. /machine/worlds/...");
    }
    SetText(Must(resource, "partition", t), spec.partition, "resource partition",
            spec.name);
  }
  if (spec.cpu_limit_percent < 0 || spec.cpu_limit_percent > 102400) {
    throw core::Error("CPU limit " + std::to_string(spec.cpu_limit_percent) +
                          "% is out of range (1 to 102400)",
                      spec.name);
  }
  if (spec.cpu_limit_percent > 0) {
    if (spec.partition.empty()) {
      throw core::Error("a CPU limit needs a resource partition to limit", spec.name,
                        "set cpu-partitions = world, or leave cpu-limit out of the lab");
    }
    // Read back by PartitionOfDomainXml; libvirt keeps it as written.
    pugi::xml_node element =
        domain.insert_child_after("metadata", Must(domain, "vcpu", t))
            .append_child("worlds:partition");
    element.append_attribute("xmlns:worlds").set_value(kMetadataNamespace);
    element.append_attribute("cpu-limit-percent").set_value(spec.cpu_limit_percent);
  }
  FillOs(spec, Must(domain, "os", t));
  FillDevices(spec, Must(domain, "devices", t));
  return Save(doc);
}

std::string RenderSnapshotXml(const std::string& name,
                              const std::string& description) {
  const char* t = kSnapshotTemplate;
  if (name.empty()) throw core::Error("snapshot name is empty", t);
  pugi::xml_document doc;
  LoadTemplate(t, &doc);
  SetText(Must(doc, "domainsnapshot/name", t), name, "snapshot name", name);
  SetText(Must(doc, "domainsnapshot/description", t), description,
          "snapshot description", name);
  return Save(doc);
}

std::string RenderAdoptedSnapshotXml(const std::string& name,
                                     const std::string& domain_xml,
                                     long long creation_time) {
  const char* t = kSnapshotTemplate;
  pugi::xml_document doc;
  LoadTemplate(t, &doc);
  pugi::xml_node snapshot = Must(doc, "domainsnapshot", t);
  SetText(Must(snapshot, "name", t), name, "snapshot name", name);
  SetText(Must(snapshot, "description", t),
          "Kept overlay's snapshot, adopted by Worlds.", "snapshot description", name);
  // What REDEFINE requires beyond a new snapshot: when, in which state, of
  // which disk (internal: it lives inside the qcow2), and the domain itself.
  snapshot.append_child("creationTime").text().set(creation_time);
  snapshot.append_child("state").text().set("shutoff");
  pugi::xml_node disk = snapshot.append_child("disks").append_child("disk");
  disk.append_attribute("name").set_value("vda");
  disk.append_attribute("snapshot").set_value("internal");
  pugi::xml_document domain;
  if (!domain.load_string(domain_xml.c_str()) || !domain.child("domain")) {
    throw core::Error("libvirt returned a domain definition that is not XML", name);
  }
  snapshot.append_copy(domain.child("domain"));
  return Save(doc);
}

std::string RelocateXml(const std::string& xml,
                        const std::map<std::string, std::string>& paths) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str(), pugi::parse_default | pugi::parse_comments)) {
    throw core::Error("libvirt returned a definition that is not XML");
  }
  struct Relocator : pugi::xml_tree_walker {
    const std::map<std::string, std::string>* paths;
    bool for_each(pugi::xml_node& node) override {
      pugi::xml_attribute file = node.attribute("file");
      if (file) {
        auto found = paths->find(file.value());
        if (found != paths->end()) file.set_value(found->second.c_str());
      }
      return true;
    }
  } relocator;
  relocator.paths = &paths;
  doc.traverse(relocator);
  return Save(doc);
}

}  // namespace virt

#include "virt/network_hook.h"

#include <pugixml.hpp>

#include "core/error.h"
#include "core/names.h"

namespace virt {

bool HookGuardsBridge(const std::string& network, const std::string& operation) {
  return operation == "started" && network.rfind(core::kObjectPrefix, 0) == 0;
}

std::string BridgeOfNetworkXml(const std::string& xml) {
  constexpr const char* kWhere = "the network XML libvirt gave the hook";
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    throw core::Error(std::string("cannot parse: ") + parsed.description() + " at offset " +
                          std::to_string(parsed.offset),
                      kWhere);
  }
  pugi::xml_node network = doc.child("hookData").child("network");
  if (!network) network = doc.child("network");
  if (!network) throw core::Error("has no <network> element", kWhere);
  std::string bridge = network.child("bridge").attribute("name").value();
  if (bridge.empty()) throw core::Error("names no bridge (<bridge name='...'/>)", kWhere);
  return bridge;
}

}  // namespace virt

#include "config/nic_fields.h"

#include <optional>

#include "config/lab_parser.h"
#include "config/lab_values.h"

namespace config::internal {

namespace {

const char kAddressRule[] = "an IPv4 address such as 10.10.0.1";
const char kDnsRule[] = "a list of one to three IPv4 addresses";
// glibc reads at most three nameservers from resolv.conf (MAXNS).
constexpr size_t kMaxDns = 3;

// Why `text` is not a fixed IPv4 address, as the tail of a message; nullopt
// when it is one.
std::optional<std::string> FixedIpv4Problem(const std::string& text) {
  // Any brace means a placeholder was meant: say what is wrong with that
  // rather than that the text is no address.
  if (text.find('{') != std::string::npos) {
    return "must be a fixed IPv4 address, not a pattern ('" + text + "')";
  }
  if (!ParseIpv4(text)) {
    return std::string("must be ") + kAddressRule + ", not '" + text + "'";
  }
  return std::nullopt;
}

}  // namespace

void ReadGateway(Fields& fields, const std::string& where,
                 const core::LabNetwork* net, Reporter* reporter,
                 core::Nic* nic) {
  std::optional<std::string> gateway =
      fields.String("gateway", false, where, kAddressRule);
  if (!gateway) return;
  core::SourcePos pos = fields.ValuePos("gateway");
  if (auto problem = FixedIpv4Problem(*gateway)) {
    reporter->Error(pos, "'gateway' in " + where + " " + *problem);
    return;
  }
  nic->gateway = *gateway;
  if (!net || net->prefix == 0) return;  // reported with the network
  if (auto problem = CheckHostAddress(*ParseIpv4(*gateway), *net)) {
    reporter->Error(pos,
                    "gateway '" + *gateway + "' of " + where + " " + *problem);
  }
}

void ReadDns(const Fields& fields, const std::string& where, Reporter* reporter,
             core::Nic* nic) {
  const Fields::Entry* entry = fields.Find("dns");
  if (!entry) return;
  core::SourcePos pos = fields.ValuePos("dns");
  const YAML::Node& value = entry->value;
  if (value.IsScalar()) {
    if (auto problem = FixedIpv4Problem(value.Scalar())) {
      reporter->Error(pos, "'dns' in " + where + " " + *problem);
    } else {
      nic->dns.push_back(value.Scalar());
    }
    return;
  }
  if (value.IsNull()) {
    reporter->Error(
        pos, "'dns' in " + where + " has no value: expected " + kDnsRule);
    return;
  }
  if (!value.IsSequence()) {
    reporter->Error(pos, "'dns' in " + where + " must be " + kDnsRule +
                             ", not " + KindName(value));
    return;
  }
  if (value.size() == 0) {
    reporter->Error(pos, "'dns' in " + where +
                             " is empty: list one to three IPv4 addresses, "
                             "or leave 'dns' out");
    return;
  }
  size_t i = 0;
  for (auto it = value.begin(); it != value.end(); ++it, ++i) {
    const YAML::Node& server = *it;
    // An empty entry's mark is wherever the parser stopped, often the next
    // line: point at the list instead.
    core::SourcePos server_pos =
        server.IsNull() ? pos : reporter->Pos(server, pos);
    std::string subject =
        "dns entry " + std::to_string(i + 1) + " in " + where + " ";
    if (i == kMaxDns) {
      // Pointed at the first one too many: the guest would ignore it.
      reporter->Error(server_pos,
                      "'dns' in " + where + " has " +
                          std::to_string(value.size()) +
                          " addresses: at most 3 (a guest's resolver uses "
                          "only the first three)");
    }
    if (!server.IsScalar()) {
      reporter->Error(server_pos, subject + "must be " + kAddressRule +
                                      ", not " + KindName(server));
      continue;
    }
    if (auto problem = FixedIpv4Problem(server.Scalar())) {
      reporter->Error(server_pos, subject + *problem);
      continue;
    }
    if (i < kMaxDns) nic->dns.push_back(server.Scalar());
  }
}

}  // namespace config::internal

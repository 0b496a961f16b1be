#include "config/lab_values.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "config/lab_parser.h"

namespace config::internal {

namespace fs = std::filesystem;

namespace {
std::string AbsoluteDir(const std::string& dir) {
  std::string out = fs::absolute(dir).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string BuildHint(const std::string& dir) {
  return " (copy it there; for the tiny test image run "
         "tools/build-test-image " +
         dir + ")";
}
}  // namespace

ResolvedFile ResolveFile(const std::string& file, const std::string& image_dir,
                         const std::string& lab_dir) {
  fs::path path(file);
  std::error_code ec;  // an unreadable directory just means "not found"
  if (path.is_absolute()) {
    if (fs::is_regular_file(path, ec))
      return {path.lexically_normal().string(), ""};
    return {"", "does not exist" + BuildHint(path.parent_path().string())};
  }
  std::vector<std::string> dirs;
  if (!image_dir.empty()) dirs.push_back(AbsoluteDir(image_dir));
  std::string own_dir = AbsoluteDir(lab_dir.empty() ? "." : lab_dir);
  if (std::find(dirs.begin(), dirs.end(), own_dir) == dirs.end()) {
    dirs.push_back(own_dir);
  }
  std::string looked;
  for (const std::string& dir : dirs) {
    fs::path candidate = (fs::path(dir) / path).lexically_normal();
    if (fs::is_regular_file(candidate, ec)) return {candidate.string(), ""};
    looked += (looked.empty() ? "" : " or ") + dir;
  }
  return {"", "not found in " + looked + BuildHint(dirs[0])};
}

std::optional<std::string> CheckCidr(const std::string& where,
                                     core::LabNetwork* net) {
  std::optional<std::pair<uint32_t, int>> cidr = ParseCidr(net->cidr);
  if (!cidr) {
    return "'cidr' in " + where +
           " must be an IPv4 network such as 10.10.0.0/24, not '" + net->cidr +
           "'";
  }
  auto [address, prefix] = *cidr;
  // /31 and /32 leave no room for hosts besides network and broadcast;
  // below /8 is no lab network.
  if (prefix < 8 || prefix > 30) {
    return "cidr '" + net->cidr + "' of " + where + " has prefix /" +
           std::to_string(prefix) + ": allowed /8 to /30";
  }
  uint32_t network = address & PrefixMask(prefix);
  if (network != address) {
    return "cidr '" + net->cidr + "' of " + where +
           " has host bits set (did you mean '" + FormatIpv4(network) + "/" +
           std::to_string(prefix) + "'?)";
  }
  net->address = address;
  net->prefix = prefix;
  return std::nullopt;
}

std::optional<std::string> CheckHostAddress(uint32_t address,
                                            const core::LabNetwork& net) {
  uint32_t mask = PrefixMask(net.prefix);
  std::string in_net = "'" + net.name + "' (" + net.cidr + ")";
  if ((address & mask) != net.address) return "is outside network " + in_net;
  // A /31 or /32 has no network or broadcast address to avoid (RFC 3021).
  if (net.prefix >= 31) return std::nullopt;
  if (address == net.address) return "is the network address of " + in_net;
  if (address == (net.address | ~mask)) {
    return "is the broadcast address of " + in_net;
  }
  return std::nullopt;
}

}  // namespace config::internal

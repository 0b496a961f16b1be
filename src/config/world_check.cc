#include "config/world_check.h"

#include <optional>
#include <set>
#include <utility>

#include "config/lab_parser.h"
#include "config/lab_values.h"
#include "core/names.h"

namespace config {

std::map<std::string, std::string> PatternVars(const core::Lab& lab,
                                               const core::World& world,
                                               const std::string& vm) {
  return {{"owner", world.owner},
          {"vm", vm},
          {"lab", lab.name},
          {"index", std::to_string(world.index)}};
}

std::string ExpandCommand(const std::string& command,
                          const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < command.size();) {
    size_t close = command[i] == '{' ? command.find('}', i) : std::string::npos;
    bool shell_brace = i > 0 && command[i - 1] == '$';
    if (close != std::string::npos && !shell_brace) {
      auto it = vars.find(command.substr(i + 1, close - i - 1));
      if (it != vars.end()) {
        out += it->second;
        i = close + 1;
        continue;
      }
    }
    out += command[i++];
  }
  return out;
}

std::vector<std::string> ExpandCommands(
    const std::vector<std::string>& commands,
    const std::map<std::string, std::string>& vars) {
  std::vector<std::string> out;
  out.reserve(commands.size());
  for (const std::string& command : commands) {
    out.push_back(ExpandCommand(command, vars));
  }
  return out;
}

Diagnostics CheckWorlds(const core::Lab& lab,
                        const std::vector<core::World>& worlds) {
  Diagnostics all;
  for (const core::World& world : worlds) {
    internal::CheckWorld(lab, world, /*sample=*/false, {}, &all);
  }
  // A pattern error reads the same for every World: say it once.
  Diagnostics out;
  std::set<std::string> seen;
  for (Diagnostic& d : all) {
    if (seen.insert(d.ToString()).second) out.push_back(std::move(d));
  }
  return out;
}

namespace internal {

namespace {

class WorldChecker {
 public:
  WorldChecker(const core::Lab& lab, const core::World& world, bool sample,
               Diagnostics* out)
      : lab_(lab), world_(world), sample_(sample), out_(out) {}

  void CheckVm(const core::LabVm& vm, const core::SourcePos& hostname_pos) {
    vars_ = PatternVars(lab_, world_, vm.name);
    std::optional<std::string> hostname =
        Expand("hostname", vm.hostname_pattern, hostname_pos);
    if (hostname && !IsValidHostname(*hostname)) {
      Error(hostname_pos,
            Subject("hostname", vm.hostname_pattern, *hostname,
                    " of vm '" + vm.name + "'") +
                " is not a valid hostname: use letters, digits and '-', at "
                "most 63 characters, not starting or ending with '-'");
    }
    for (const core::Nic& nic : vm.nics) CheckNic(vm, nic);
  }

 private:
  void CheckNic(const core::LabVm& vm, const core::Nic& nic) {
    std::optional<std::string> ip = Expand("ip", nic.ip_pattern, nic.pos);
    if (!ip) return;
    std::string subject = Subject("ip", nic.ip_pattern, *ip, "");
    std::optional<uint32_t> address = ParseIpv4(*ip);
    if (!address) {
      Error(nic.pos, subject + " is not a valid IPv4 address");
      return;
    }
    const core::LabNetwork* net = lab_.FindNetwork(nic.network);
    if (!net) return;
    if (net->prefix > 0) {
      if (auto problem = CheckHostAddress(*address, *net)) {
        Error(nic.pos, subject + " " + *problem);
        return;
      }
    }
    // Only the NIC's own address is checked against its gateway: the
    // gateway is normally another VM's address (the router's), so it is
    // never counted as a use below.
    if (ParseIpv4(nic.gateway) == address) {
      Error(nic.pos, subject +
                         " is also the gateway of the same nic: the gateway "
                         "must be another host on '" +
                         net->name + "', such as a router");
    }
    auto [it, inserted] = used_.emplace(std::make_pair(net->name, *address),
                                        std::make_pair(vm.name, nic.pos.line));
    if (!inserted) {
      Error(nic.pos, subject + " is already used by vm '" + it->second.first +
                         "' on network '" + net->name + "' (line " +
                         std::to_string(it->second.second) + ")");
    }
  }

  // The pattern expanded, or nullopt after reporting an unknown placeholder.
  std::optional<std::string> Expand(const std::string& what,
                                    const std::string& pattern,
                                    const core::SourcePos& pos) {
    std::string unknown;
    std::optional<std::string> out =
        core::ExpandPattern(pattern, vars_, &unknown);
    if (!out) {
      std::string problem = unknown.find('}') == std::string::npos
                                ? "unclosed '{'"
                                : "unknown placeholder '" + unknown + "'";
      Error(pos, problem + " in " + what + " '" + pattern +
                     "' (allowed: " + kPlaceholders + ")");
    }
    return out;
  }

  // How a message names an expanded value: by owner for a real World; for
  // the sample World, by the pattern it came from when that differs.
  std::string Subject(const std::string& what, const std::string& pattern,
                      const std::string& value, const std::string& of) const {
    std::string subject = what + " '" + value + "'" + of;
    if (!sample_) return subject + " for owner '" + world_.owner + "'";
    if (value == pattern) return subject;
    return subject + " (from '" + pattern + "' for sample owner '" +
           world_.owner + "', index " + std::to_string(world_.index) + ")";
  }

  void Error(const core::SourcePos& pos, std::string message) {
    out_->push_back(Diagnostic{pos, std::move(message)});
  }

  const core::Lab& lab_;
  const core::World& world_;
  bool sample_;
  Diagnostics* out_;
  std::map<std::string, std::string> vars_;
  // (network, address) -> (vm, line) of the first NIC using it.
  std::map<std::pair<std::string, uint32_t>, std::pair<std::string, int>> used_;
};

}  // namespace

void CheckWorld(const core::Lab& lab, const core::World& world, bool sample,
                const HostnamePositions& hostname_pos, Diagnostics* out) {
  WorldChecker checker(lab, world, sample, out);
  for (const core::LabVm& vm : lab.vms) {
    auto it = hostname_pos.find(vm.name);
    checker.CheckVm(vm, it == hostname_pos.end() ? vm.pos : it->second);
  }
}

}  // namespace internal
}  // namespace config

#include "accounts/sshd_check.h"

#include <sstream>

namespace accounts {

std::string SshdFinding::ToString() const {
  return setting + " is " + value + " (wanted: " + wanted + ")";
}

std::map<std::string, std::string> ParseSshdSettings(const std::string& text) {
  std::map<std::string, std::string> settings;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t space = line.find(' ');
    if (line.empty() || space == 0) continue;
    std::string key = line.substr(0, space);
    settings[key] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return settings;
}

std::vector<SshdFinding> OpenForwardings(const std::string& sshd_t_output,
                                         const std::string& menu_shell) {
  std::map<std::string, std::string> settings = ParseSshdSettings(sshd_t_output);
  auto value = [&](const std::string& key) {
    auto it = settings.find(key);
    return it == settings.end() ? std::string("(missing)") : it->second;
  };
  std::vector<SshdFinding> open;
  // DisableForwarding overrides the four forwarding switches (sshd_config(5)),
  // which sshd -T still prints as configured.
  if (value("disableforwarding") != "yes") {
    for (const char* key : {"allowtcpforwarding", "allowstreamlocalforwarding",
                            "x11forwarding", "allowagentforwarding"}) {
      if (value(key) != "no") open.push_back({key, value(key), "no"});
    }
  }
  if (value("permittunnel") != "no") open.push_back({"permittunnel", value("permittunnel"), "no"});
  if (value("forcecommand") != menu_shell) {
    open.push_back({"forcecommand", value("forcecommand"), menu_shell});
  }
  return open;
}

std::string SshdHardeningFix() {
  return "install /etc/ssh/sshd_config.d/worlds.conf from the worlds package (its Match Group "
         "worlds-students block), check that /etc/ssh/sshd_config has "
         "\"Include /etc/ssh/sshd_config.d/*.conf\" before any Match block, then reload sshd "
         "(systemctl reload ssh)";
}

}  // namespace accounts

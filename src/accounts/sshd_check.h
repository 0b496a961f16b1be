// Whether sshd, as configured, keeps a student in the menu: reads the
// effective settings `sshd -T -C user=<student>,...` prints and names every
// forwarding left open. Pure (text in, findings out); `worlds doctor` runs
// sshd and prints the findings.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace accounts {

// One setting that lets a student out of the menu.
struct SshdFinding {
  std::string setting;  // as sshd -T names it, e.g. "allowtcpforwarding"
  std::string value;    // what sshd -T printed ("(missing)" when absent)
  std::string wanted;   // e.g. "no"
  // "allowtcpforwarding is yes (wanted: no)"
  std::string ToString() const;
};

// `sshd -T` output: one "keyword value..." per line, keywords lowercase.
// A keyword printed on several lines (e.g. subsystem) keeps the last one.
std::map<std::string, std::string> ParseSshdSettings(const std::string& text);

// The settings of `sshd -T` output that leave a student more than the menu
// at `menu_shell`: TCP (-L -R -W -D), Unix-socket, X11 and agent forwarding
// unless disableforwarding is yes; a tunnel (-w) unless permittunnel is no;
// and forcecommand other than `menu_shell`. Empty: the menu is all there is.
std::vector<SshdFinding> OpenForwardings(const std::string& sshd_t_output,
                                         const std::string& menu_shell);

// What to do about findings, for doctor's "fix:" line.
std::string SshdHardeningFix();

}  // namespace accounts

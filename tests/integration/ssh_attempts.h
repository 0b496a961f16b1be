// What a student's SSH client can ask a lab host for besides the menu: a
// command, the sftp subsystem, and each kind of forwarding (-W, -R to a
// port, -R to a Unix socket, -L and -D with a connection through them).
// Shared by every test that shows a host holds students to the menu
// (SshDropInTest with the source tree's drop-in, PackageTest with the
// installed one), so both try the same things and judge them the same way.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "integration/ssh_harness.h"

namespace it {

// One thing a student tried, what it got (exit status and the client's own
// words, or what came through a listener), and whether that was a refusal.
struct SshAttempt {
  std::string attempt;
  std::string got;
  bool refused = false;
};

// Tries each of them as `user` (with private key `key`) against `server`,
// which must be running, one after the other: `ssh host id` (refused when
// it fails, prints no uid= and the menu's kCommandRefusedText), sftp,
// `ssh -W` to the sshd port, `ssh -R` to a port and to a socket under
// `dir` (refused when ssh fails and, for the socket, no socket appears),
// `ssh -N -L` and `ssh -N -D` each with a connection to the sshd port
// through the client's listener (refused when no SSH banner comes through
// and ssh reports the channel "administratively prohibited"). The -L and
// -D clients run in sessions of tmux server `tmux_server` (tmux.conf in
// `dir`), killed before returning; their listeners use the sshd port plus
// 1000 and 1001. Takes a few seconds when everything is refused.
std::vector<SshAttempt> TryEverythingButTheMenu(const SshServer& server, const std::string& user,
                                                const std::string& key,
                                                const std::string& tmux_server,
                                                const std::string& dir);

// "  - <attempt>: <got>" per line, with " [NOT REFUSED]" after any that was
// not refused.
void PrintAttempts(std::ostream& out, const std::vector<SshAttempt>& attempts);

}  // namespace it

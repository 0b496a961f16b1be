// A real OpenSSH server and a real terminal for end-to-end tests of what a
// student sees over SSH: SshServer runs /usr/sbin/sshd in the foreground on
// 127.0.0.1 with Debian's default sshd_config plus Worlds' drop-in (what a
// lab host runs), and Terminal drives `ssh -tt` inside a private tmux server
// (its own -L socket, so a developer's tmux is never touched) and reads the
// screen back. Every program is started from an argv vector.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "integration/harness.h"

namespace it {

// True when sshd, ssh, ssh-keygen and tmux are all installed.
bool HaveSshTools();

// A Unix account's uid and gid (exists=false when there is none).
struct Account {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool exists = false;
};
Account LookUpAccount(const std::string& name);

// Debian's pristine default sshd_config (/usr/share/openssh/sshd_config,
// else /etc/ssh/sshd_config).
std::string DebianDefaultSshdConfig();

// data/ssh/worlds.conf.in of the source tree with `menu_shell` as the
// forced command (what CMake configures with the installed path).
std::string WorldsDropIn(const std::string& menu_shell);

class SshServer {
 public:
  // Prepares `dir` (created, mode 0755): host key, sshd_config, and a port
  // that is free now. Does not start sshd yet. The config is
  // DebianDefaultSshdConfig() with only what a test must change (Port,
  // ListenAddress, HostKey, PidFile, and its Include pointing at
  // DIR/sshd_config.d/*.conf), and `drop_in` (the text, e.g. WorldsDropIn)
  // as DIR/sshd_config.d/worlds.conf.
  SshServer(const std::string& dir, const std::string& drop_in);
  // Stops sshd (SIGTERM, then SIGKILL) if it is running.
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  // Starts sshd -D -e -f CONFIG and waits until the port accepts
  // connections. Returns false (with the reason in *why) when it does not.
  bool Start(std::string* why);
  void Stop();

  int port() const { return port_; }
  const std::string& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  // What sshd printed so far (its -e log).
  std::string Log() const;

  // Generates an ed25519 key pair DIR/keys/USER (private) and writes the
  // public half to KEYS_DIR/USER.pub (the layout of `users sync --keys-dir`).
  // Returns the private key path.
  std::string MakeClientKey(const std::string& user, const std::string& keys_dir);

  // The ssh client argv for `user` with `key`: no host key checks, batch
  // mode, quiet. `extra` options go before the destination, `command` after.
  std::vector<std::string> SshArgv(const std::string& user, const std::string& key,
                                   const std::vector<std::string>& extra = {},
                                   const std::vector<std::string>& command = {}) const;

 private:
  void WriteDebianConfigWith(const std::string& drop_in, const std::string& host_key);

  std::string dir_;
  std::string config_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One tmux session on a private server, running one program.
class Terminal {
 public:
  // Starts `argv` in a detached 80x24 session named `name` on tmux server
  // socket `server` (tmux -L). The pane stays after the program ends
  // (remain-on-exit), so its end and status can be read.
  Terminal(const std::string& server, const std::string& name,
           const std::vector<std::string>& argv, const std::string& config_dir);
  // Kills the session (not the server; see KillServer).
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool started() const { return started_; }
  // Why it did not start (tmux's exit status and stderr); empty when it did.
  const std::string& start_error() const { return start_error_; }

  // tmux key names (Enter, Up, Down, C-c, C-z, 'C-\', C-]) or literal words.
  void SendKeys(const std::vector<std::string>& keys);
  // Literal text, no key-name lookup (send-keys -l).
  void Type(const std::string& text);
  // Raw bytes as hex (send-keys -H), e.g. {0x1d} for Ctrl-].
  void SendBytes(const std::vector<unsigned char>& bytes);

  // The visible screen, one line per row.
  std::string Screen() const;
  // The scrollback and the screen.
  std::string History() const;
  // Polls the screen every 200 ms until it contains `text` or `seconds`
  // pass; returns whether it did.
  bool WaitForScreen(const std::string& text, double seconds) const;
  // Same, until the screen no longer contains `text`.
  bool WaitForScreenWithout(const std::string& text, double seconds) const;

  // The session exists and its program still runs.
  bool Alive() const;
  // Polls until the program ended; returns whether it did in time.
  bool WaitForExit(double seconds) const;
  // The ended program's exit status (-1 while it runs or when unknown).
  int ExitStatus() const;

  // Kills the whole private tmux server `server`.
  static void KillServer(const std::string& server);

 private:
  std::string Format(const std::string& format) const;
  Run Tmux(std::vector<std::string> args) const;

  std::string server_;
  std::string name_;
  bool started_ = false;
  std::string start_error_;
};

}  // namespace it

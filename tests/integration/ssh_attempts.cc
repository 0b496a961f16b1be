#include "integration/ssh_attempts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "menu/shell.h"

namespace it {
namespace {

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Waits up to 10 s for a client's listener on `port`; -1 when it never came up.
int ConnectWhenListening(int port) {
  int fd = -1;
  for (int i = 0; i < 50 && fd < 0; ++i) {
    fd = Connect(port);
    if (fd < 0) Sleep(200);
  }
  return fd;
}

// Up to 64 bytes, printable: "(closed)" for EOF, "(nothing in 3 s)".
std::string ReadSome(int fd) {
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n == 0) return "(closed)";
  if (n < 0) return "(nothing in 3 s)";
  std::string text;
  for (ssize_t i = 0; i < n; ++i) {
    unsigned char c = buf[i];
    if (c >= 0x20 && c < 0x7f) {
      text += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      text += hex;
    }
  }
  return text;
}

// Connects to a local forward's listener and says what came back.
std::string ThroughLocalForward(int port) {
  int fd = ConnectWhenListening(port);
  if (fd < 0) return "(the listener never came up)";
  std::string got = ReadSome(fd);
  ::close(fd);
  return got;
}

// A SOCKS5 CONNECT to 127.0.0.1:target through ssh -D's listener at `port`:
// what the greeting and the request got, and the first bytes after.
std::string ThroughSocks(int port, int target) {
  int fd = ConnectWhenListening(port);
  if (fd < 0) return "(the SOCKS listener never came up)";
  const unsigned char hello[] = {5, 1, 0};
  (void)!::write(fd, hello, sizeof hello);
  std::string greeting = ReadSome(fd);
  const unsigned char request[] = {5, 1, 0, 1, 127, 0, 0, 1,
                                   static_cast<unsigned char>(target >> 8),
                                   static_cast<unsigned char>(target & 0xff)};
  (void)!::write(fd, request, sizeof request);
  std::string reply = ReadSome(fd);
  ::close(fd);
  return "greeting got \"" + greeting + "\", CONNECT 127.0.0.1:" + std::to_string(target) +
         " got \"" + reply + "\"";
}

// "exit N, "<stderr, else stdout, on one line>"".
std::string Outcome(const Run& run) {
  std::string text = run.err.empty() ? run.out : run.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "exit " + std::to_string(run.code) + ", \"" + text + "\"";
}

// `ssh -N <forward>` in a terminal of its own, so it stays up while the
// caller connects through its local listener.
std::unique_ptr<Terminal> Forwarder(const SshServer& server, const std::string& user,
                                    const std::string& key, const std::string& tmux_server,
                                    const std::string& dir, const std::string& name,
                                    const std::vector<std::string>& options) {
  std::vector<std::string> argv = server.SshArgv(user, key, options);
  for (std::string& arg : argv) {
    if (arg == "LogLevel=ERROR") arg = "LogLevel=INFO";  // ssh reports a refused channel at INFO
  }
  return std::make_unique<Terminal>(tmux_server, name, argv, dir);
}

// The ssh client's line about the refused channel, from its terminal.
std::string SshSaid(const Terminal& terminal) {
  terminal.WaitForScreen("prohibited", 5);
  std::string screen = terminal.Screen();
  size_t channel = screen.find("channel");
  std::string said = channel == std::string::npos ? screen : screen.substr(channel);
  return said.substr(0, said.find('\n'));
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// -L or -D: a client listener, one connection through it, and ssh's word.
SshAttempt ThroughForwarder(const SshServer& server, const std::string& user,
                            const std::string& key, const std::string& tmux_server,
                            const std::string& dir, const std::string& name,
                            const std::vector<std::string>& options, const std::string& attempt,
                            const std::function<std::string()>& connect) {
  std::unique_ptr<Terminal> forward = Forwarder(server, user, key, tmux_server, dir, name, options);
  if (!forward->started()) return {attempt, "(ssh did not start: " + forward->start_error() + ")"};
  std::string got = connect();
  std::string said = SshSaid(*forward);
  return {attempt, got + "; ssh said \"" + said + "\"",
          !Has(got, "SSH-2.0") && Has(said, "administratively prohibited")};
}

}  // namespace

std::vector<SshAttempt> TryEverythingButTheMenu(const SshServer& server, const std::string& user,
                                                const std::string& key,
                                                const std::string& tmux_server,
                                                const std::string& dir) {
  std::vector<SshAttempt> attempts;
  const std::string port = std::to_string(server.port());

  // A command: the forced menu refuses it (SSH_ORIGINAL_COMMAND is set).
  Run command = Exec(server.SshArgv(user, key, {}, {"id"}));
  attempts.push_back({"ssh host id", Outcome(command),
                      command.code != 0 && !Has(command.out, "uid=") &&
                          Has(command.err, menu::kCommandRefusedText)});

  // The sftp subsystem: under ForceCommand it runs the menu, which refuses.
  Run sftp =
      Exec({"sftp", "-F", "/dev/null", "-i", key, "-P", port, "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "-b", "/dev/null", user + "@127.0.0.1"});
  attempts.push_back({"sftp", Outcome(sftp), sftp.code != 0});

  // -W: one direct-tcpip channel, the kind -L opens per connection.
  Run stdio = Exec(server.SshArgv(user, key, {"-W", "127.0.0.1:" + port}));
  attempts.push_back({"ssh -W 127.0.0.1:<sshd port>", Outcome(stdio),
                      stdio.code != 0 && !Has(stdio.out, "SSH-2.0")});

  // -R: a listener on the lab host.
  Run remote = Exec(server.SshArgv(
      user, key, {"-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:" + port}));
  attempts.push_back(
      {"ssh -N -R 127.0.0.1:0:127.0.0.1:<sshd port>", Outcome(remote), remote.code != 0});

  // -R to a Unix socket (stream-local forwarding).
  const std::string socket_path = dir + "/fwd.sock";
  Run socket = Exec(server.SshArgv(
      user, key,
      {"-N", "-o", "ExitOnForwardFailure=yes", "-R", socket_path + ":127.0.0.1:" + port}));
  bool socket_made = std::filesystem::exists(socket_path);
  attempts.push_back({"ssh -N -R <socket path>:127.0.0.1:<sshd port>",
                      Outcome(socket) + (socket_made ? "; the socket WAS MADE" : ""),
                      socket.code != 0 && !socket_made});

  // -L: the listener is on the client; a connection through it is refused.
  const int local = server.port() + 1000;
  attempts.push_back(ThroughForwarder(
      server, user, key, tmux_server, dir, "local",
      {"-N", "-L", std::to_string(local) + ":127.0.0.1:" + port},
      "ssh -N -L " + std::to_string(local) + ":127.0.0.1:<sshd port>, then connect",
      [local] { return "connection got \"" + ThroughLocalForward(local) + "\""; }));

  // -D: a SOCKS proxy on the client; its CONNECT is refused by sshd.
  const int socks = server.port() + 1001;
  const int target = server.port();
  attempts.push_back(ThroughForwarder(
      server, user, key, tmux_server, dir, "socks", {"-N", "-D", std::to_string(socks)},
      "ssh -N -D " + std::to_string(socks) + ", then a SOCKS5 CONNECT to the sshd port",
      [socks, target] { return ThroughSocks(socks, target); }));
  return attempts;
}

void PrintAttempts(std::ostream& out, const std::vector<SshAttempt>& attempts) {
  for (const SshAttempt& a : attempts) {
    out << "  - " << a.attempt << ": " << a.got << (a.refused ? "" : " [NOT REFUSED]") << "\n";
  }
}

}  // namespace it

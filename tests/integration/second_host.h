// A second libvirt lab host on this machine for integration tests: its own
// libvirtd, virtlogd and sshd in a network and mount namespace of their own,
// reached only as qemu+ssh (tools/second-host, which says how it is built).
#pragma once

#include <string>

namespace it {

class SecondHost {
 public:
  // The host named `name` (tools/second-host --name; [a-z][a-z0-9]{0,9}).
  // Nothing happens until Start().
  explicit SecondHost(std::string name = "it2");
  // Runs Stop() when Start() ran; a failing stop is a test failure.
  ~SecondHost();
  SecondHost(const SecondHost&) = delete;
  SecondHost& operator=(const SecondHost&) = delete;

  // Why a second host cannot be made here ("" when it can): not root, a
  // program missing, or 198.51.100.0/24 used by something other than this
  // host's own leftovers. For IT_REQUIRE.
  std::string Missing() const;

  // Takes down what an interrupted run left of this host, then brings it up.
  // Returns "" on success, else what the tool said (it has cleaned up).
  [[nodiscard]] std::string Start();

  // Restarts its libvirtd as an upgrade does (domains keep running), or
  // starts it after it was killed, and waits until it answers again. Returns "" on success, else what the tool
  // said.
  [[nodiscard]] std::string RestartLibvirtd();

  // Takes it down: every process of it (daemons and domains) ends, its
  // namespaces, veth pair and directory go. Returns "" on success, else what
  // the tool said. Safe to call more than once.
  [[nodiscard]] std::string Stop();

  const std::string& name() const { return name_; }
  // libvirt URI of the host's qemu driver (after Start()).
  const std::string& uri() const { return uri_; }
  // The address its sshd listens on.
  std::string address() const { return "198.51.100.2"; }
  // Network namespace and private directory, for tests that check clean-up.
  std::string netns() const { return "worlds-" + name_; }
  std::string host_veth() const { return "w2h-" + name_; }
  std::string dir() const { return "/var/lib/worlds-hosts/" + name_; }

 private:
  std::string name_;
  std::string uri_;
  bool started_ = false;
};

}  // namespace it

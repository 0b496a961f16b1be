#include "integration/second_host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <utility>
#include <vector>

#include "integration/harness.h"

namespace it {
namespace {

std::string Tool() { return SourcePath("tools/second-host"); }

// Lines of `text` that mention `needle` but not `except`.
std::string LinesWith(const std::string& text, const std::string& needle,
                      const std::string& except) {
  std::istringstream in(text);
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos && line.find(except) == std::string::npos) {
      found += line + "\n";
    }
  }
  return found;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

SecondHost::SecondHost(std::string name) : name_(std::move(name)) {}

SecondHost::~SecondHost() {
  if (!started_) return;
  std::string error = Stop();
  if (!error.empty()) ADD_FAILURE() << "tools/second-host down --name " << name_ << ": " << error;
}

std::string SecondHost::Missing() const {
  if (::geteuid() != 0) return "a second lab host needs root";
  for (const char* program :
       {"/usr/sbin/libvirtd", "/usr/sbin/virtlogd", "/usr/sbin/sshd", "/usr/bin/ssh",
        "/usr/bin/ssh-keygen", "/usr/bin/virsh", "/usr/bin/virt-ssh-helper", "/usr/bin/unshare",
        "/usr/bin/qemu-img"}) {
    if (::access(program, X_OK) != 0) return std::string("no ") + program;
  }
  if (Exec({"ip", "-V"}).code != 0) return "no ip (iproute2)";
  // The address range is ours only when nothing else has it; this host's own
  // veth (a killed run's) is taken down by Start().
  std::string used = LinesWith(Exec({"ip", "-br", "addr"}).out + Exec({"ip", "route"}).out,
                               "198.51.100.", host_veth());
  if (!used.empty()) {
    return "198.51.100.0/24 is in use here (a developer's tools/second-host up?):\n" + used;
  }
  return "";
}

std::string SecondHost::Start() {
  std::string error = Stop();
  if (!error.empty()) return "clearing leftovers: " + error;
  Run up = Exec({Tool(), "up", "--name", name_});
  started_ = true;  // a failed up cleans up after itself, but down is harmless
  if (up.code != 0) return Trimmed(up.err + up.out);
  uri_ = Trimmed(up.out);
  return "";
}

std::string SecondHost::RestartLibvirtd() {
  Run restart = Exec({Tool(), "restart-libvirtd", "--name", name_});
  return restart.code == 0 ? "" : Trimmed(restart.err + restart.out);
}

std::string SecondHost::Stop() {
  Run down = Exec({Tool(), "down", "--name", name_});
  if (down.code != 0) return Trimmed(down.err + down.out);
  started_ = false;
  return "";
}

}  // namespace it

// `worlds doctor`: can this host (and each lab host of the inventory)
// deploy and serve students? Checks libvirt,
// QEMU, a libguestfs appliance, the image dir, whether QEMU's user can reach
// the state and image dirs, what sshd lets a student do (a FAIL per
// forwarding left open; a warning when sshd is missing, when not root, or
// when there is no student yet), and whether KVM really runs a guest.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "store/store.h"

namespace cli {

struct DoctorOptions {
  std::string connect;
  std::string state_dir;
  std::string image_dir;
  int kvm_timeout_seconds = 20;
  int tcg_timeout_seconds = 120;
  // The inventory's lab hosts (issue 14): each one that is not this
  // machine runs its own `worlds doctor` over SSH (libvirtd, QEMU, KVM, the
  // appliance, its storage dir, QEMU's access), and its clock is compared
  // with this one's. A lab host on this machine has its storage dir checked.
  std::vector<store::HostRecord> hosts;
  std::string worlds_exe;  // this binary; the same path on every lab host
  // Set: only that lab host is checked (`worlds doctor --host NAME`), not
  // this machine.
  std::string only_host;
};

// Prints one line per check; records the acceleration that works in
// <state-dir>/accel (read by AccelDefault). Returns an exit code: 0 when
// nothing FAILed.
int RunDoctor(const DoctorOptions& options, std::ostream& out);

// What `worlds doctor` last found working ("kvm" or "qemu"); "qemu" when it
// never ran here.
std::string AccelDefault(const std::string& state_dir);

}  // namespace cli

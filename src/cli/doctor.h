// `worlds doctor`: can this host deploy and serve students? Checks libvirt,
// QEMU, a libguestfs appliance, the image dir, whether QEMU's user can reach
// the state and image dirs, what sshd lets a student do (a FAIL per
// forwarding left open; a warning when sshd is missing, when not root, or
// when there is no student yet), and whether KVM really runs a guest.
#pragma once

#include <ostream>
#include <string>

namespace cli {

struct DoctorOptions {
  std::string connect;
  std::string state_dir;
  std::string image_dir;
  int kvm_timeout_seconds = 20;
  int tcg_timeout_seconds = 120;
};

// Prints one line per check; records the acceleration that works in
// <state-dir>/accel (read by AccelDefault). Returns an exit code: 0 when
// nothing FAILed.
int RunDoctor(const DoctorOptions& options, std::ostream& out);

// What `worlds doctor` last found working ("kvm" or "qemu"); "qemu" when it
// never ran here.
std::string AccelDefault(const std::string& state_dir);

}  // namespace cli

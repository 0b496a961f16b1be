// `worlds doctor` on this host, for real.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "guest/customizer.h"
#include "integration/deploy_fixture.h"

namespace {

using it::DeployTest;
using it::kUsers;
using it::kVms;

class DoctorTest : public DeployTest {
 protected:
  std::string Name() const override { return "doctor"; }
};

TEST_F(DoctorTest, ChecksTheHostAndRecordsTheAccelerationThatWorks) {
  it::Run doctor = it::Worlds({"--state-dir", state_dir_, "--image-dir", image_dir_, "doctor"});
  EXPECT_EQ(doctor.code, 0) << doctor.out << doctor.err;
  for (const char* check : {"ok    libvirt: connected to qemu:///system",
                            "ok    qemu-system-x86_64: QEMU emulator version",
                            "ok    qemu-img: qemu-img version", "ok    libguestfs: appliance launched in",
                            "This host can deploy Worlds."}) {
    EXPECT_NE(doctor.out.find(check), std::string::npos) << check << "\n" << doctor.out;
  }
  // The fixture's dirs are 0755 under /tmp: QEMU's user reaches them.
  EXPECT_NE(doctor.out.find("ok    qemu access: QEMU's user can reach " + state_dir_ +
                            "/worlds and " + image_dir_ + "\n"),
            std::string::npos)
      << doctor.out;
  // sshd is checked (what it says depends on the host: installed or not,
  // students or not, the drop-in or not).
  EXPECT_NE(doctor.out.find("  sshd: "), std::string::npos) << doctor.out;
  std::string accel = it::ReadFile(state_dir_ + "/accel");
  bool kvm_ok = doctor.out.find("ok    kvm: a guest kernel booted under KVM") != std::string::npos;
  bool kvm_warned = doctor.out.find("warn  kvm: ") != std::string::npos;
  EXPECT_NE(kvm_ok, kvm_warned) << doctor.out;
  EXPECT_EQ(accel, kvm_ok ? "kvm\n" : "qemu\n") << doctor.out;
  if (!kvm_ok) {
    EXPECT_NE(doctor.out.find("ok    tcg: a guest kernel booted under TCG"), std::string::npos);
    EXPECT_NE(doctor.out.find("acceleration to use: --accel qemu (TCG)"), std::string::npos);
  }
}

}  // namespace

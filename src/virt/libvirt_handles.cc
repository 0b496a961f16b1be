#include "virt/libvirt_handles.h"

#include <libvirt/virterror.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace virt::internal {

void EnsureEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (virEventRegisterDefaultImpl() < 0) {
      throw Failure("cannot start libvirt's event loop", "");
    }
    std::thread([] {
      for (;;) {
        if (virEventRunDefaultImpl() < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    }).detach();
  });
}

core::Error Failure(const std::string& action, const std::string& where) {
  // An RPC error means the connection itself broke (libvirtd restarted or
  // died): say so, since libvirt's own words ("client socket is closed")
  // do not.
  std::string fix = virGetLastErrorDomain() == VIR_FROM_RPC
                        ? "the connection to libvirtd was lost; check that libvirtd runs "
                          "and re-run the command"
                        : "";
  return core::Error(action + ": " + virGetLastErrorMessage(), where, fix);
}

bool LastErrorIs(int code) { return virGetLastErrorCode() == code; }

}  // namespace virt::internal

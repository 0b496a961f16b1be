#include "virt/libvirt_handles.h"

#include <libvirt/virterror.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace virt::internal {

namespace {

// Starts libvirt's process-wide event loop (a thread of its own, for the
// process's life) unless it runs already. Connections opened after it have
// their socket watched: one whose libvirtd went away (restarted, the lab
// host rebooted, its SSH link dropped; remote ones also by keepalive) is
// marked closed at once, which virConnectIsAlive then tells, and console
// streams get their readiness events.
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

}  // namespace

Connect OpenConnection(const std::string& uri) {
  EnsureEventLoop();
  Connect conn(virConnectOpen(uri.c_str()));
  // Drivers without keepalive (the test driver) refuse it: nothing to do.
  if (conn && virConnectSetKeepAlive(conn.get(), 5, 5) < 0) virResetLastError();
  return conn;
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

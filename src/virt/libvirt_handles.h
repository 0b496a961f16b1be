// Private to virt/: owning handles for libvirt's C objects, and the error
// a failed libvirt call becomes.
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include <libvirt/libvirt.h>

#include "core/error.h"

namespace virt::internal {

struct ConnectCloser {
  void operator()(virConnectPtr p) const { virConnectClose(p); }
};
struct DomainFreer {
  void operator()(virDomainPtr p) const { virDomainFree(p); }
};
struct NetworkFreer {
  void operator()(virNetworkPtr p) const { virNetworkFree(p); }
};
struct SnapshotFreer {
  void operator()(virDomainSnapshotPtr p) const { virDomainSnapshotFree(p); }
};
using Connect = std::unique_ptr<std::remove_pointer_t<virConnectPtr>, ConnectCloser>;
using Domain = std::unique_ptr<std::remove_pointer_t<virDomainPtr>, DomainFreer>;
using Network = std::unique_ptr<std::remove_pointer_t<virNetworkPtr>, NetworkFreer>;
using Snapshot =
    std::unique_ptr<std::remove_pointer_t<virDomainSnapshotPtr>, SnapshotFreer>;
struct StreamFreer {
  void operator()(virStreamPtr p) const { virStreamFree(p); }
};
using Stream = std::unique_ptr<std::remove_pointer_t<virStreamPtr>, StreamFreer>;

// Starts libvirt's process-wide event loop (a thread of its own, for the
// process's life) unless it runs already. Connections opened after it have
// their socket watched: one whose libvirtd went away (restarted, the lab
// host rebooted, its SSH link dropped; remote ones also by keepalive) is
// marked closed at once, which virConnectIsAlive then tells, and console
// streams get their readiness events.
void EnsureEventLoop();

// libvirt's last error is per thread, so reading it right after the failed
// call on the same thread is exact. Names the action and the object.
core::Error Failure(const std::string& action, const std::string& where);
bool LastErrorIs(int code);

}  // namespace virt::internal

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

// Opens a connection to `uri` (null when it cannot: libvirt's last error
// says why) that notices a peer gone silent: libvirt's keepalive, a ping
// after 5 s without traffic and the connection closed after 5 unanswered,
// so a lab host that loses power is given up in about 30 s instead of
// being waited on. Starts the event loop first, which both need.
Connect OpenConnection(const std::string& uri);

// libvirt's last error is per thread, so reading it right after the failed
// call on the same thread is exact. Names the action and the object.
core::Error Failure(const std::string& action, const std::string& where);
bool LastErrorIs(int code);

}  // namespace virt::internal

// The lab hosts Worlds deploys to (issue 14): an inventory in the state
// database (store::HostRecord), changed with `worlds host add|remove|drain|
// undrain` and read by placement. Each host is one libvirtd reached through
// its own remote protocol (qemu+ssh:// or qemu+tls://): no agent of ours.
// With an empty inventory Worlds has one host, the `connect` setting's, and
// everything works as before it existed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "store/store.h"
#include "virt/hypervisor.h"

namespace hosts {

// Where a host keeps its overlays unless `--storage-dir` says otherwise:
// the state dir a lab host has when Worlds is installed there.
inline constexpr const char* kDefaultStorageDir = "/var/lib/worlds";

// Checks a host before it joins the inventory. Throws core::InputError
// naming the field and what would be right:
//   name         core::IsValidName (it is shown in menus and status);
//   uri          libvirt's QEMU driver, system instance: qemu:///system on
//                this machine, or qemu+ssh|qemu+libssh|qemu+libssh2|qemu+tls
//                ://[user@]host[:port]/system[?parameters] elsewhere
//                (qemu+tcp is refused: neither encrypted nor authenticated);
//   storage_dir  an absolute path without "." or ".." parts;
//   memory_mib, vcpus  positive when given; keep_free_mib 0 or more.
void CheckHost(const store::HostRecord& host);

// Whether `uri` is this machine's own libvirt (no host part).
bool IsLocalUri(const std::string& uri);

// Who changes the inventory, for the events rows.
struct Actor {
  int64_t uid = -1;
  std::string name;
};

// Opens a libvirt connection (virt::NewLibvirtHypervisor, or a fake).
using Connector = std::function<std::unique_ptr<virt::Hypervisor>(const std::string& uri)>;

// What a host says of itself now, or why it could not be asked.
struct Probe {
  bool reachable = false;
  virt::HostInfo info;  // when reachable
  std::string error;    // when not: the connection's error, as a person reads it
};
Probe ProbeHost(const std::string& uri, const Connector& connect);

// `worlds host add`: checks `host`, asks it for its size through `connect`
// (a host that cannot be reached is refused, nothing recorded; a null
// `connect` skips that, for --no-check), records it and an events row.
// Returns the probe (unreachable when skipped).
Probe AddHost(store::Store& store, const store::HostRecord& host, const Connector* connect,
              const Actor& actor);

// `worlds host remove`: refused while a World lives there. Events row.
void RemoveHost(store::Store& store, const std::string& name, const Actor& actor);

// `worlds host drain|undrain`: a draining host gets no new World. Events row.
void SetDraining(store::Store& store, const std::string& name, bool draining,
                 const Actor& actor);

}  // namespace hosts

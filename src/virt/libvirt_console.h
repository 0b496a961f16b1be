// Private to virt/: a running domain's serial console over libvirt, on a
// connection of its own.
#pragma once

#include <memory>
#include <string>

#include "virt/hypervisor.h"

namespace virt::internal {

// Opens `domain`'s console through a new connection to `uri` (its stream
// traffic and a slow client then never hold up calls on the shared one).
// `force` takes the console over from another session. Throws core::Error.
std::unique_ptr<ConsoleStream> OpenLibvirtConsole(const std::string& uri,
                                                  const std::string& domain, bool force);

}  // namespace virt::internal

// The errors a Hypervisor throws for misuse, shared by the libvirt adapter
// and the fake so both speak the same words (tests assert these texts).
// Each names the domain or network as core::Error::where().
#pragma once

#include <string>

#include "core/error.h"

namespace virt {

core::Error NoSuchDomain(const std::string& domain);
core::Error DomainAlreadyExists(const std::string& domain);
core::Error AlreadyRunning(const std::string& domain);
core::Error NotRunning(const std::string& domain);
core::Error NoSuchSnapshot(const std::string& domain, const std::string& snap);
core::Error SnapshotAlreadyExists(const std::string& domain,
                                  const std::string& snap);
core::Error SnapshotNeedsShutOff(const std::string& domain,
                                 const std::string& snap);

}  // namespace virt

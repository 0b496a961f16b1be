#include "virt/errors.h"

namespace virt {

core::Error NoSuchDomain(const std::string& domain) {
  return core::Error("domain '" + domain + "' does not exist", domain);
}

core::Error DomainAlreadyExists(const std::string& domain) {
  return core::Error("domain '" + domain + "' already exists", domain,
                     "remove it first");
}

core::Error AlreadyRunning(const std::string& domain) {
  return core::Error("domain '" + domain + "' is already running", domain);
}

core::Error NotRunning(const std::string& domain) {
  return core::Error("domain '" + domain + "' is not running", domain);
}

core::Error NoSuchSnapshot(const std::string& domain, const std::string& snap) {
  return core::Error("domain '" + domain + "' has no snapshot '" + snap + "'",
                     domain);
}

core::Error SnapshotAlreadyExists(const std::string& domain,
                                  const std::string& snap) {
  return core::Error(
      "domain '" + domain + "' already has a snapshot '" + snap + "'", domain);
}

core::Error SnapshotNeedsShutOff(const std::string& domain,
                                 const std::string& snap) {
  return core::Error("domain '" + domain + "' must be shut off to take snapshot '" +
                         snap + "'",
                     domain, "power it off first");
}

}  // namespace virt

// What `worlds status` reports: each VM as it really is, from the store's
// record checked against libvirt and the disk. The store alone is not the
// truth after an interrupted deploy (a killed parent records nothing more;
// a killed worker leaves a domain without `clean`), so a VM is "ready" only
// when its domain, its overlay and its `clean` snapshot all exist.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "deploy/env.h"
#include "deploy/operations.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

struct VmStatus {
  std::string lab, owner, vm, domain, overlay;
  std::string recorded;  // the store's phase; "unrecorded" for a stray domain
  std::string phase;     // the truth (deploy::ClassifyVm): ready;
                         // kept-overlay (overlay with `clean`: student data,
                         // domain or its snapshot gone); incomplete (anything
                         // else a deploy rebuilds); missing; unreadable (an
                         // overlay that cannot be read: deploy leaves it);
                         // unrecorded (a domain the store lacks); unknown
                         // (no libvirt)
  std::string state;     // libvirt's: running, shut off, ..., missing, unknown
  std::string fix;       // what to run when phase is not ready ("" otherwise)
  std::string identity;  // store::VmRecord::identity (JSON), "" when none
  std::string host;      // its World's lab host; "": the connect host
};

// Checks every recorded VM against `hypervisor` (nullptr: libvirt is not
// reachable, so phase and state are "unknown") and `disks`, and lists the domains
// named like a lab's that the store never recorded (a deploy killed before
// its write) when `domain_prefix` is set ("w-<lab>-" or "w-").
std::vector<VmStatus> InspectVms(const std::vector<store::VmRecord>& recorded,
                                 virt::Hypervisor* hypervisor, Disks& disks,
                                 const std::optional<std::string>& domain_prefix);

struct StatusReport {
  std::vector<VmStatus> vms;  // recorded VMs, then unrecorded overlays, then
                              // stray domains
  std::string no_libvirt;     // why libvirt could not be asked; "" if it could
  // Lab hosts of the inventory that could not be asked, and why; their
  // VMs' state is "unreachable".
  std::map<std::string, std::string> unreachable_hosts;
};

// What `worlds status` shows, as data (cli/ formats it): the store's VMs of
// `request`, their overlays without a row, and stray domains, each
// classified by InspectVms against its World's host (deploy/lab_hosts.h). Libvirt out
// of reach is not an error: phases are "unknown" and no_libvirt says why.
// Throws core::Error when the store cannot be opened.
StatusReport Status(const Context& context, const Env& env, const StatusRequest& request);

}  // namespace deploy

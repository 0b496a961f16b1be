// Private to virt/: a running domain's live migration between two libvirt
// connections (Hypervisor::MigrateLive).
#pragma once

#include <string>

#include <libvirt/libvirt.h>

#include "virt/hypervisor.h"

namespace virt::internal {

// Hypervisor::MigrateLive of domain `name` from `from` to `to`.
std::string MigrateLive(virConnectPtr from, virConnectPtr to, const std::string& name,
                 const Relocation& where);

}  // namespace virt::internal

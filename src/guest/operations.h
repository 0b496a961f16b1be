// The operations PlanChanges runs, one small file each (op_*.cc).
// Internal to guest/: callers use Operations() and PlanChanges().
#pragma once

#include "guest/changes.h"

namespace guest {

Operation HostnameOperation();        // op_names.cc
Operation HostsOperation();           // op_names.cc
Operation NetworkOperation();         // op_network.cc
Operation MachineIdOperation();       // op_identity.cc
Operation SshHostKeysOperation();     // op_identity.cc
Operation CloudInitOperation();       // op_first_boot.cc
Operation FirstBootOperation();       // op_first_boot.cc
Operation SelinuxRelabelOperation();  // op_first_boot.cc

}  // namespace guest

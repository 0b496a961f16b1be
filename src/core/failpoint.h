// Fault injection for the fault tests: a named point in the code where the
// process can be made to die as abruptly as a power cut or an OOM kill.
//
//   WORLDS_FAILPOINT=<name>       SIGKILL the first time <name> is reached
//   WORLDS_FAILPOINT=<name>@<n>   SIGKILL the n-th time (n >= 1)
//
// The variable is read once per process; workers inherit it from their
// parent (a worker on another lab host, over SSH, gets it in its batch), so
// a point inside a worker kills that worker and a point in the parent kills
// the parent. Without the variable a point costs one branch.
//
// Points (each named where it is reached):
//   worker-after-overlays      every overlay of a worker's batch is created
//   customize-disk             one disk's edits were written in the appliance
//   worker-after-define        domains defined, no `clean` snapshot yet
//   worker-snapshot            one VM's `clean` snapshot was taken
//   deploy-record              the parent recorded one phase of one VM
//   store-commit               a transaction is about to commit (open, written)
//   revert-vm                  `revert` has reverted one VM
//   destroy-domain             `destroy` has removed one domain
#pragma once

namespace core {

void FailPoint(const char* name);

}  // namespace core

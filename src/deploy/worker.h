// A worker: runs one Batch of whole Worlds — overlays, one appliance for all
// their disks, networks and domains (overlapped with the appliance), then
// `clean` snapshots — and reports each step as a Message.
#pragma once

#include <functional>

#include "deploy/env.h"
#include "deploy/protocol.h"
#include "guest/customizer.h"
#include "virt/hypervisor.h"

namespace deploy {

using Emit = std::function<void(const Message&)>;

// Runs `batch`, making overlays on `disks`. A VM's failure is reported with an "error" Message and does
// not stop the others; a VM that fails after its domain was defined has the
// domain removed again, so only complete VMs stay defined. `emit` may be
// called from two threads, never at once. Throws only on a fault that stops
// the whole batch (which the parent then reports for every VM left).
void RunBatch(const Batch& batch, virt::Hypervisor& hypervisor,
              guest::Customizer& customizer, Disks& disks, const Emit& emit);

// The `worlds __worker` entry point: reads a Batch on stdin, connects the
// real adapters (libvirt, libguestfs, qemu-img), runs it, writes Messages
// on stdout. Returns an exit code. A worker never outlives the deploy that
// started it: `parent` is that deploy's pid (`__worker PID`, started here),
// or kOverSsh (`__worker ssh`, started on a lab host over SSH), where the
// deploy is gone once nothing reads the worker's stdout any more (the ssh
// client died, the connection dropped): the worker then kills itself.
inline constexpr int kOverSsh = 0;
int WorkerMain(int parent);

}  // namespace deploy

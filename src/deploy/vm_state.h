// What a VM really is, from libvirt and its overlay: the one classifier that
// the plan (what a deploy does) and status (what is reported) both use, so
// they never disagree about a VM.
#pragma once

#include <optional>
#include <string>

#include "deploy/env.h"
#include "virt/hypervisor.h"

namespace deploy {

enum class VmCondition {
  kReady,        // domain, overlay and libvirt's `clean` snapshot all present
  kKeptOverlay,  // the overlay has `clean` inside (it was handed out: student
                 // data) but the domain or its snapshot is gone: re-define
  kIncomplete,   // a domain or an overlay without `clean`: never booted,
                 // no student data, rebuilt
  kMissing,      // neither domain nor overlay
  kUnreadable,   // the overlay exists but cannot be read: left alone
};

struct VmFacts {
  bool domain = false;        // libvirt has the domain
  bool overlay = false;       // the overlay file exists
  bool domain_clean = false;  // libvirt knows the domain's `clean` snapshot
  bool overlay_clean = false; // `clean` inside the overlay (read only when
                              // it decides: not for a ready VM)
  std::string unreadable;     // why the overlay could not be read; "" if it could
  VmCondition condition = VmCondition::kMissing;
};

// Looks at `domain` and `overlay`. `domain_exists`, when given, is what a
// listing of domains already said (saves a lookup per VM). An overlay that
// cannot be read is kUnreadable with the reason, never taken as absent or
// as free to rebuild. Throws core::Error only for a libvirt failure.
VmFacts ClassifyVm(const std::string& domain, const std::string& overlay,
                   virt::Hypervisor& hypervisor, Disks& disks,
                   std::optional<bool> domain_exists = std::nullopt);

// The phase `worlds status` shows: "ready", "kept-overlay", "incomplete",
// "missing" or "unreadable".
const char* PhaseName(VmCondition condition);

// What to run about a VM in `facts.condition`; "" for a ready one. Names
// the overlay and the reason for an unreadable one.
std::string FixFor(const VmFacts& facts, const std::string& overlay);

}  // namespace deploy

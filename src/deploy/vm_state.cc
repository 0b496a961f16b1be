#include "deploy/vm_state.h"

#include "core/error.h"
#include "core/names.h"

namespace deploy {

VmFacts ClassifyVm(const std::string& domain, const std::string& overlay,
                   virt::Hypervisor& hypervisor, Disks& disks,
                   std::optional<bool> domain_exists) {
  VmFacts facts;
  facts.domain = domain_exists ? *domain_exists : hypervisor.DomainExists(domain);
  facts.overlay = disks.Exists(overlay);
  facts.domain_clean =
      facts.domain && facts.overlay && hypervisor.HasSnapshot(domain, core::kCleanSnapshot);
  if (facts.domain && facts.overlay && facts.domain_clean) {
    facts.condition = VmCondition::kReady;
    return facts;
  }
  if (facts.overlay) {
    try {
      facts.overlay_clean = disks.HasClean(overlay);
    } catch (const core::Error& e) {
      facts.unreadable = e.message();
      facts.condition = VmCondition::kUnreadable;
      return facts;
    }
  }
  // `clean` inside the overlay makes it the student's, whatever libvirt lost
  // (a destroy that kept it, or a define interrupted before the snapshot
  // was registered again): define over it, never rebuild it.
  if (facts.overlay_clean) {
    facts.condition = VmCondition::kKeptOverlay;
  } else if (facts.domain || facts.overlay) {
    facts.condition = VmCondition::kIncomplete;
  } else {
    facts.condition = VmCondition::kMissing;
  }
  return facts;
}

const char* PhaseName(VmCondition condition) {
  switch (condition) {
    case VmCondition::kReady: return "ready";
    case VmCondition::kKeptOverlay: return "kept-overlay";
    case VmCondition::kIncomplete: return "incomplete";
    case VmCondition::kMissing: return "missing";
    case VmCondition::kUnreadable: return "unreadable";
  }
  return "?";
}

std::string FixFor(const VmFacts& facts, const std::string& overlay) {
  switch (facts.condition) {
    case VmCondition::kReady: return "";
    case VmCondition::kKeptOverlay: return "worlds deploy re-defines it over the kept overlay";
    case VmCondition::kIncomplete:
      return "worlds deploy rebuilds it (never booted, no student data)";
    case VmCondition::kMissing: return "worlds deploy builds it";
    case VmCondition::kUnreadable:
      return "its overlay " + overlay + " cannot be read (" + facts.unreadable +
             "); deploy leaves it alone: check it with qemu-img check, or move it away "
             "to have deploy rebuild the VM (its student data is then lost)";
  }
  return "";
}

}  // namespace deploy

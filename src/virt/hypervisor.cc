#include "virt/hypervisor.h"

namespace virt {

const char* ToString(DomainState state) {
  switch (state) {
    case DomainState::kRunning:
      return "running";
    case DomainState::kPaused:
      return "paused";
    case DomainState::kShutOff:
      return "shut off";
    case DomainState::kOther:
      break;
  }
  return "other";
}

}  // namespace virt

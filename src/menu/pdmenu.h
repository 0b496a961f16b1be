// `worlds menu --pdmenu`: a Pdmenu rc file (pdmenurc(5)) for the caller,
// for hosts that prefer Pdmenu as the students' front end. The fixed parts
// come from pdmenu/worlds.pdmenu.in; one submenu per World, one per VM, and
// each VM action is an `exec` calling back into `worlds menu --ACTION DOMAIN`.
#pragma once

#include <string>
#include <vector>

#include "broker_client/protocol.h"

namespace menu {

struct PdmenuOptions {
  std::string program = "worlds";  // how the rc calls back into worlds
  std::string socket;              // appended as --socket when not empty
};

// Text for a Pdmenu field: ':' is its field separator and '_' marks a
// hotkey, so ':', '_', '\', '@' (our placeholders), newlines and other control characters become
// '-'. Pdmenu never sees them.
std::string PdmenuText(const std::string& text);

// Returns the rc text. VMs whose domain is not a Worlds domain name
// (broker::IsDomainName) are left out: their name would reach a shell
// command line. Throws core::Error when `options.program` or
// `options.socket` holds characters other than [A-Za-z0-9/._+-] (the
// same reason), or when the template is missing from the binary.
std::string PdmenuRc(const std::string& user, const std::vector<broker::VmView>& vms,
                     const PdmenuOptions& options);

}  // namespace menu

// How `worlds status` prints deploy::StatusReport: a table for people, JSON
// for programs. Pure functions of the report.
#pragma once

#include <string>

#include "deploy/host_view.h"
#include "deploy/status.h"

namespace cli {

// The table (LAB OWNER VM PHASE STATE DOMAIN NICS), then each distinct fix
// once; a note first when libvirt was out of reach; "No Worlds deployed
// [for lab 'x'] [for 'owner']." when there is nothing.
std::string FormatStatusTable(const deploy::StatusReport& report,
                              const deploy::StatusRequest& request);

// A JSON array, one object per VM: lab, owner, vm, domain, overlay, phase,
// recorded_phase, state, identity (the recorded JSON, or null).
std::string FormatStatusJson(const deploy::StatusReport& report);

// `worlds top`: the host line, the committed line, then a table of labs
// (LAB WORLDS VMS RUNNING MEMORY VCPUS ON A CONSOLE; "?" when who is on a
// console is unknown), then `note` (why it is unknown) when not empty.
std::string FormatTop(const deploy::HostView& view, const std::string& note);
// The same as one JSON object (consoles null when unknown).
std::string FormatTopJson(const deploy::HostView& view);

}  // namespace cli

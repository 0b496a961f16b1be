// Private to config/: the lab's optional `schedule` and `idle-shutdown`
// mappings (core::LabSchedule, core::IdlePolicy). Values are read with
// schedule/'s parsers, so the lab file and the state database agree on
// every form; each problem is reported at its value's position.
#pragma once

#include "config/yaml_fields.h"
#include "core/lab.h"

namespace config::internal {

// Reads `schedule` of the lab's top-level mapping into lab->schedule (left
// unset when absent or not a mapping).
void ReadSchedule(Fields& lab_fields, Reporter* reporter, core::Lab* lab);

// Reads `idle-shutdown` into lab->idle.
void ReadIdleShutdown(Fields& lab_fields, Reporter* reporter, core::Lab* lab);

}  // namespace config::internal

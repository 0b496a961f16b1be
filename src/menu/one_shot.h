// `worlds menu --start|--shutdown|--poweroff|--revert|--console DOMAIN`:
// one action, no menu (what the Pdmenu rc calls). Same texts as the menu.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "broker_client/protocol.h"
#include "menu/backend.h"

namespace menu {

// Runs `op` on `domain`. The result line ("router: started (running)") goes
// to `out` with exit 0; a refusal (the broker's words) or kUnavailableText
// goes to `err` with exit 1. For kRevert without `yes`, prints
// RevertQuestion to `out` first and calls `read_answer` (a character, or
// EOF): anything but 'y'/'Y' prints "router: revert cancelled." and returns
// 1 without asking the broker.
int RunOneShot(Backend& backend, broker::Op op, const std::string& domain, bool yes,
               const std::function<int()>& read_answer, std::ostream& out, std::ostream& err);

// Opens `domain`'s console on this terminal (raw mode, ConsoleBanner,
// Ctrl-] to leave). Returns 0 when the user left or the console closed, 1
// with the broker's message on `err` when it could not be opened.
int RunConsoleOnce(Backend& backend, const std::string& domain, std::ostream& err);

}  // namespace menu

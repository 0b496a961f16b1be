// The interactive menu on a terminal (ncurses), and the signal setup that
// keeps it the only thing a student's login can run.
#pragma once

#include <signal.h>

#include <string>

#include "menu/backend.h"

namespace menu {

// Set by SIGHUP/SIGTERM once InstallMenuSignals ran: the session is over.
extern volatile sig_atomic_t g_hangup;

// Ignores SIGINT, SIGQUIT and SIGTSTP (in the menu they are just keys;
// inside the console they go to the guest as bytes) and makes SIGHUP and
// SIGTERM set g_hangup without restarting system calls.
void InstallMenuSignals();

// Runs the menu on stdin/stdout until q, end of input or hangup. Returns
// the exit code: 0 when the user quit or the terminal went away, 1 when
// there is no terminal or the broker cannot be reached at start (after
// saying so and waiting for a key). Never starts another program.
int RunMenu(Backend& backend, const std::string& user);

}  // namespace menu

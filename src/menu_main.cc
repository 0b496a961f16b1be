// `worlds-menu`: a student's login shell. A program of its own, linked with
// the menu, the broker's client and the settings only (no libvirt, no
// SQLite, no libguestfs in the process a student's SSH session runs),
// whatever name sshd gives it.
#include <iostream>

#include "core/error.h"
#include "menu/shell.h"
#include "settings/settings.h"

int main(int argc, char** argv) {
  std::string socket;
  try {
    // The broker's socket: WORLDS_BROKER_SOCKET, else worlds.conf, else
    // the default. A student cannot pass flags to a login shell.
    socket = settings::Settings::Load("", settings::ProcessEnvironment())["broker-socket"];
  } catch (const core::Error& e) {
    std::cerr << "worlds-menu: " << e.Describe() << "\nTell the lab's admin." << std::endl;
    return 1;
  }
  return menu::ShellMain(argc, argv, socket);
}

// `worlds-menu`: a student's login shell. A program of its own, linked with
// the menu and the broker's client only (no libvirt, no SQLite, no libguestfs
// in the process a student's SSH session runs), whatever name sshd gives it.
#include "menu/shell.h"

int main(int argc, char** argv) { return menu::ShellMain(argc, argv); }

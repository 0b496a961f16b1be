// A VM's serial console in the student's terminal: raw mode while it lasts,
// bytes relayed both ways, Ctrl-] (kConsoleEscapeByte) to come back.
#pragma once

#include <signal.h>
#include <termios.h>

namespace menu {

enum class RelayEnd {
  kEscape,         // the user typed Ctrl-]
  kConsoleClosed,  // the broker (or the VM's side) closed the console
  kInputClosed,    // our input ended (EOF, terminal gone): leave the menu too
  kHangup,         // *stop became non-zero (SIGHUP/SIGTERM): leave the menu too
};

// Copies in_fd -> console_fd and console_fd -> out_fd with poll() until one
// of the RelayEnd reasons. The bytes typed before Ctrl-] in the same read
// are still sent; nothing after it is. Does not close any fd. `stop` may be
// null; when set it is checked whenever poll() is interrupted.
RelayEnd RelayConsole(int console_fd, int in_fd, int out_fd, const volatile sig_atomic_t* stop);

// Puts terminal `fd` in raw mode (cfmakeraw on a copy: no echo, no line
// editing, no signals from Ctrl-C/Ctrl-Z/Ctrl-\, which then belong to the
// guest) and restores the saved settings when destroyed. Does nothing when
// `fd` is not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  bool saved_ = false;
  struct termios original_ = {};
};

}  // namespace menu

// The menu's terminal view, with ncurses (libncurses-dev, the terminal UI
// library every Debian host has; FTXUI would be nicer but is not packaged in
// Debian 12). It draws MenuModel::Render() and feeds it keys; every text and
// decision lives in the model. ASCII only, so it reads the same over SSH with
// TERM=vt100 and with no UTF-8 locale.
#include <curses.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "menu/console.h"
#include "menu/model.h"
#include "menu/view.h"

namespace menu {

volatile sig_atomic_t g_hangup = 0;

namespace {

constexpr int kRefreshMs = 3000;

void OnHangup(int) { g_hangup = 1; }

// One curses session on stdin/stdout; ended (endwin, delscreen) when destroyed.
class Curses {
 public:
  Curses() {
    screen_ = newterm(nullptr, stdout, stdin);
    // An unknown TERM (or none) still gets a usable screen.
    if (!screen_) screen_ = newterm(const_cast<char*>("vt100"), stdout, stdin);
    if (!screen_) return;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(100);
    curs_set(0);
  }
  ~Curses() {
    if (!screen_) return;
    endwin();
    delscreen(screen_);
  }
  Curses(const Curses&) = delete;
  Curses& operator=(const Curses&) = delete;
  bool ok() const { return screen_ != nullptr; }

 private:
  SCREEN* screen_ = nullptr;
};

void Draw(const Frame& frame) {
  erase();
  for (int i = 0; i < static_cast<int>(frame.lines.size()) && i < LINES; ++i) {
    int attrs = i == frame.highlight ? A_REVERSE : i == 0 ? A_BOLD : A_NORMAL;
    attrset(attrs);
    mvaddnstr(i, 0, frame.lines[i].c_str(), COLS - 1);
  }
  attrset(A_NORMAL);
  refresh();
}

// The last column is never written: a character in the bottom-right corner
// scrolls some terminals.
void Draw(const MenuModel& model) { Draw(model.Render(COLS - 1, LINES)); }

enum class Input { kKey, kTimeout, kEnd };

// Waits up to `timeout_ms` (-1: forever) for a key. kEnd on end of input or
// hangup. Keys ncurses already buffered are returned before polling.
Input ReadKey(int timeout_ms, int* key) {
  timeout(0);
  int ch = getch();
  if (ch == ERR) {
    for (;;) {
      if (g_hangup) return Input::kEnd;
      struct pollfd fd = {STDIN_FILENO, POLLIN, 0};
      int ready = ::poll(&fd, 1, timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return Input::kEnd;
      if (ready == 0) return Input::kTimeout;
      if (!(fd.revents & POLLIN)) return Input::kEnd;  // POLLHUP/POLLERR alone
      // Readable, yet no key: read() returned 0 or failed, the input is gone.
      ch = getch();
      if (ch == ERR) return Input::kEnd;
      break;
    }
  }
  switch (ch) {
    case KEY_UP: *key = kKeyUp; break;
    case KEY_DOWN: *key = kKeyDown; break;
    case KEY_HOME: *key = kKeyHome; break;
    case KEY_END: *key = kKeyEnd; break;
    case KEY_PPAGE: *key = kKeyPageUp; break;
    case KEY_NPAGE: *key = kKeyPageDown; break;
    case KEY_ENTER: case '\r': case '\n': *key = kKeyEnter; break;
    case 27: *key = kKeyEscape; break;
    case KEY_BACKSPACE: *key = 0x7f; break;
    default: *key = ch < 0x100 ? ch : -1; break;  // other function keys: ignored
  }
  return Input::kKey;
}

void WriteOut(const std::string& text) {
  ssize_t ignored = ::write(STDOUT_FILENO, text.data(), text.size());
  (void)ignored;  // the console relay reports a dead terminal
}

// Leaves curses for the console and comes back. Returns false when the
// session is over (input closed or hangup).
bool RunConsole(MenuModel& model, const Effect& effect) {
  // A blank screen for the guest, also on terminals without an alternate one.
  clear();
  refresh();
  def_prog_mode();
  endwin();
  RelayEnd end;
  {
    RawTerminal raw(STDIN_FILENO);
    WriteOut("\r\n" + ConsoleBanner(effect.vm) + "\r\n");
    end = RelayConsole(effect.console_fd, STDIN_FILENO, STDOUT_FILENO, &g_hangup);
    ::close(effect.console_fd);
    WriteOut("\r\n");
  }
  if (end == RelayEnd::kInputClosed || end == RelayEnd::kHangup) return false;
  reset_prog_mode();
  clearok(curscr, TRUE);  // the guest drew on the screen: redraw it all
  model.ConsoleEnded(effect, end == RelayEnd::kEscape ? MenuModel::ConsoleEnd::kUserLeft
                                                      : MenuModel::ConsoleEnd::kClosed);
  return true;
}

int Unavailable(const std::string& user) {
  std::string title = "Worlds - " + user;
  erase();
  attrset(A_BOLD);
  mvaddnstr(0, 0, title.c_str(), COLS - 1);
  attrset(A_NORMAL);
  // Its two sentences on two lines, so no word is cut at column 80.
  std::string text = kUnavailableText;
  size_t cut = text.find(". ");
  mvaddstr(2, 0, text.substr(0, cut + 1).c_str());
  mvaddstr(3, 0, text.substr(cut + 2).c_str());
  mvaddstr(5, 0, kPressAnyKey);
  refresh();
  int key = 0;
  while (ReadKey(-1, &key) == Input::kTimeout) {
  }
  return 1;
}

}  // namespace

void InstallMenuSignals() {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (int sig : {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  struct sigaction hangup = {};
  hangup.sa_handler = OnHangup;  // no SA_RESTART: poll() must wake up
  sigemptyset(&hangup.sa_mask);
  ::sigaction(SIGHUP, &hangup, nullptr);
  ::sigaction(SIGTERM, &hangup, nullptr);
}

int RunMenu(Backend& backend, const std::string& user) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::cerr << "The Worlds menu needs a terminal: log in with `ssh -t`.\n";
    return 1;
  }
  InstallMenuSignals();
  MenuModel model(backend, user);
  bool reachable = model.Refresh();
  Curses curses;
  if (!curses.ok()) {
    const char* term = std::getenv("TERM");
    std::cerr << "The Worlds menu cannot drive this terminal (TERM=" << (term ? term : "")
              << "). Try TERM=xterm.\n";
    return 1;
  }
  if (!reachable) return Unavailable(user);
  for (;;) {
    Draw(model);
    int key = 0;
    Input input = ReadKey(kRefreshMs, &key);
    if (input == Input::kEnd) return 0;
    if (input == Input::kTimeout) {
      model.Refresh();
      continue;
    }
    Effect effect = model.HandleKey(key);
    switch (effect.kind) {
      case Effect::kQuit: return 0;
      case Effect::kAct:
        Draw(model);  // "router: starting..." while the broker works
        model.Perform(effect);
        break;
      case Effect::kConsole:
        if (!RunConsole(model, effect)) return 0;
        break;
      case Effect::kNone: break;
    }
  }
}

}  // namespace menu

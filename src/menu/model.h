// The Worlds menu's state and behaviour, without a terminal: which VM is
// selected, what each key does, the revert confirmation, the status line,
// and the text of every screen line. The curses view (view.h) only maps
// keys in and draws Render() out, so everything a student reads or can do is
// decided here and unit-tested.
#pragma once

#include <string>
#include <vector>

#include "broker_client/protocol.h"
#include "menu/backend.h"

namespace menu {

// Keys that are not plain bytes (the view translates its terminal's codes).
// Plain bytes (letters, digits, Ctrl-X as 0x01-0x1f) are passed as is.
enum Key : int {
  kKeyUp = 0x10000,
  kKeyDown,
  kKeyHome,
  kKeyEnd,
  kKeyPageUp,
  kKeyPageDown,
  kKeyEnter,
  kKeyEscape,
};

inline constexpr unsigned char kConsoleEscapeByte = 0x1d;  // Ctrl-]

// Texts a student reads, shared with the view, the one-shot commands and tests.
inline constexpr const char* kUnavailableText =
    "The Worlds service is not available right now (cannot reach the broker). "
    "Try again later.";
inline constexpr const char* kHelpText =
    "Up/Down or 1-9 select, Enter actions, r refresh, q quit";
inline constexpr const char* kActionsText =
    "c console  s start  d shut down  p power off  v revert to clean";
inline constexpr const char* kNoShellHint =
    "That key does nothing here (there is no shell). Press q to quit.";
inline constexpr const char* kNoVmsText = "No VMs are deployed for you yet.";
inline constexpr const char* kPressAnyKey = "Press any key.";

// "Revert router to its clean snapshot? Everything written ... cancels."
std::string RevertQuestion(const std::string& vm);
// "Connected to router's console. Press Ctrl-] to return to the menu."
std::string ConsoleBanner(const std::string& vm);
// What an action's reply means, e.g. "router: started (running)" or
// "router: <the broker's error>".
std::string ResultText(const std::string& vm, broker::Op op, const broker::Reply& reply);

// What the view must do after a key.
struct Effect {
  enum Kind {
    kNone,     // redraw
    kQuit,     // leave the menu (ends the SSH session)
    kAct,      // redraw (status shows the work), then call Perform(effect)
    kConsole,  // relay `console_fd` (owned by the view now), then ConsoleEnded
  };
  Kind kind = kNone;
  broker::Op op = broker::Op::kList;
  std::string domain;
  std::string vm;
  int console_fd = -1;
};

// A screen: lines (each at most `width` characters, at most `height` of
// them) and which line is drawn highlighted (-1: none).
struct Frame {
  std::vector<std::string> lines;
  int highlight = -1;
};

class MenuModel {
 public:
  enum class Mode { kList, kActions, kConfirmRevert };

  // `backend` must outlive the model. `user` is shown in the title.
  MenuModel(Backend& backend, std::string user);

  // Asks the backend for the VMs again, keeping the selection on the same
  // domain. Returns false (status: kUnavailableText) when the broker cannot
  // be reached; a refusal shows the broker's message in the status line.
  bool Refresh();

  // One key press. Never throws: backend failures end up in the status line.
  Effect HandleKey(int key);

  // Runs a kAct effect (the slow part, after the view drew "starting..."),
  // shows its result and refreshes the states.
  void Perform(const Effect& effect);

  // After a console session: how it ended, shown in the status line.
  enum class ConsoleEnd { kUserLeft, kClosed };
  void ConsoleEnded(const Effect& effect, ConsoleEnd how);

  Frame Render(int width, int height) const;

  const std::vector<broker::VmView>& vms() const { return vms_; }
  int selected() const { return selected_; }
  Mode mode() const { return mode_; }
  const std::string& status() const { return status_; }
  bool owner_column() const;

 private:
  const broker::VmView* Selected() const;
  Effect Act(broker::Op op);
  Effect Console();
  void AddListLines(Frame& frame, int width, int rows) const;
  void AddActionLines(Frame& frame, int width) const;

  Backend& backend_;
  std::string user_;
  std::vector<broker::VmView> vms_;  // sorted by lab, owner, vm
  int selected_ = 0;
  Mode mode_ = Mode::kList;
  std::string status_;
};

}  // namespace menu

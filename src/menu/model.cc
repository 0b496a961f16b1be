// The menu's behaviour. Keys that would reach a shell elsewhere (Ctrl-C,
// Ctrl-Z, Ctrl-\) are ordinary keys here: they only show a hint, because
// there is nothing behind the menu but the end of the session.
#include "menu/model.h"

#include <algorithm>
#include <tuple>

#include "core/error.h"

namespace menu {
namespace {

constexpr int kPageStep = 10;

const char* DoneVerb(broker::Op op) {
  switch (op) {
    case broker::Op::kStart: return "started";
    case broker::Op::kShutdown: return "shutting down";
    case broker::Op::kPowerOff: return "powered off";
    case broker::Op::kRevert: return "reverted to its clean snapshot";
    default: return "done";
  }
}

const char* PendingVerb(broker::Op op) {
  switch (op) {
    case broker::Op::kStart: return "starting...";
    case broker::Op::kShutdown: return "asking it to shut down...";
    case broker::Op::kPowerOff: return "powering off...";
    case broker::Op::kRevert: return "reverting to its clean snapshot...";
    default: return "working...";
  }
}

bool IsControlKey(int key) { return key >= 0 && key < 0x20; }

std::string Fit(const std::string& text, int width) {
  return static_cast<int>(text.size()) > width ? text.substr(0, std::max(width, 0)) : text;
}

std::string Pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

// Splits `text` into lines of at most `width` characters, at spaces when
// it can.
std::vector<std::string> Wrap(const std::string& text, int width) {
  std::vector<std::string> lines;
  if (width <= 0) return lines;
  std::string rest = text;
  while (static_cast<int>(rest.size()) > width) {
    size_t cut = rest.rfind(' ', width);
    if (cut == std::string::npos || cut == 0) {
      lines.push_back(rest.substr(0, width));
      rest.erase(0, width);
    } else {
      lines.push_back(rest.substr(0, cut));
      rest.erase(0, cut + 1);
    }
  }
  lines.push_back(rest);
  return lines;
}

}  // namespace

std::string RevertQuestion(const std::string& vm) {
  return "Revert " + vm +
         " to its clean snapshot? Everything written to this VM since it was deployed "
         "will be lost. Type y to confirm, any other key cancels.";
}

std::string ConsoleBanner(const std::string& vm) {
  return "Connected to " + vm + "'s console. Press Ctrl-] to return to the menu.";
}

std::string ResultText(const std::string& vm, broker::Op op, const broker::Reply& reply) {
  if (!reply.ok) return vm + ": " + reply.error;
  std::string text = vm + ": " + DoneVerb(op);
  if (!reply.state.empty()) text += " (" + reply.state + ")";
  return text;
}

MenuModel::MenuModel(Backend& backend, std::string user)
    : backend_(backend), user_(std::move(user)) {}

bool MenuModel::Refresh() {
  broker::Reply reply;
  try {
    reply = backend_.List();
  } catch (const core::Error&) {
    status_ = kUnavailableText;
    return false;
  }
  if (!reply.ok) {
    status_ = reply.error;
    return true;
  }
  std::string keep = Selected() ? Selected()->domain : "";
  vms_ = std::move(reply.vms);
  std::stable_sort(vms_.begin(), vms_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.lab, a.owner, a.vm) < std::tie(b.lab, b.owner, b.vm);
  });
  selected_ = std::min(selected_, std::max(0, static_cast<int>(vms_.size()) - 1));
  for (size_t i = 0; i < vms_.size(); ++i) {
    if (vms_[i].domain == keep) selected_ = static_cast<int>(i);
  }
  if (vms_.empty() && mode_ == Mode::kActions) mode_ = Mode::kList;
  return true;
}

const broker::VmView* MenuModel::Selected() const {
  if (selected_ < 0 || selected_ >= static_cast<int>(vms_.size())) return nullptr;
  return &vms_[selected_];
}

bool MenuModel::owner_column() const {
  for (const broker::VmView& vm : vms_) {
    if (vm.owner != vms_.front().owner) return true;
  }
  return false;
}

Effect MenuModel::HandleKey(int key) {
  if (mode_ == Mode::kConfirmRevert) {
    mode_ = Mode::kList;
    const broker::VmView* vm = Selected();
    if (!vm) return {};
    if (key == 'y' || key == 'Y') return Act(broker::Op::kRevert);
    status_ = vm->vm + ": revert cancelled.";
    return {};
  }
  int last = static_cast<int>(vms_.size()) - 1;
  switch (key) {
    case kKeyUp: selected_ = std::max(0, selected_ - 1); return {};
    case kKeyDown: selected_ = std::max(0, std::min(last, selected_ + 1)); return {};
    case kKeyHome: selected_ = 0; return {};
    case kKeyEnd: selected_ = std::max(0, last); return {};
    case kKeyPageUp: selected_ = std::max(0, selected_ - kPageStep); return {};
    case kKeyPageDown: selected_ = std::max(0, std::min(last, selected_ + kPageStep)); return {};
    case 'c': return Console();
    case 's': return Act(broker::Op::kStart);
    case 'd': return Act(broker::Op::kShutdown);
    case 'p': return Act(broker::Op::kPowerOff);
    case 'v':
      mode_ = Mode::kList;
      if (!Selected()) return {};
      mode_ = Mode::kConfirmRevert;
      status_ = RevertQuestion(Selected()->vm);
      return {};
    default: break;
  }
  if (mode_ == Mode::kActions) {
    if (key == kKeyEscape || key == kKeyEnter || key == 'q' || key == 'Q' || key == 0x7f ||
        key == '\b') {
      mode_ = Mode::kList;
    } else if (IsControlKey(key)) {
      status_ = kNoShellHint;
    }
    return {};
  }
  if (key >= '1' && key <= '9') {
    if (key - '1' <= last) selected_ = key - '1';
    return {};
  }
  if (key == kKeyEnter) {
    if (Selected()) mode_ = Mode::kActions;
    return {};
  }
  if (key == 'r') {
    if (Refresh()) status_ = "States refreshed.";
    return {};
  }
  if (key == 'q' || key == 'Q') {
    Effect quit;
    quit.kind = Effect::kQuit;
    return quit;
  }
  if (IsControlKey(key)) status_ = kNoShellHint;
  return {};
}

Effect MenuModel::Act(broker::Op op) {
  mode_ = Mode::kList;
  const broker::VmView* vm = Selected();
  if (!vm) return {};
  Effect effect;
  effect.kind = Effect::kAct;
  effect.op = op;
  effect.domain = vm->domain;
  effect.vm = vm->vm;
  status_ = vm->vm + ": " + PendingVerb(op);
  return effect;
}

void MenuModel::Perform(const Effect& effect) {
  try {
    status_ = ResultText(effect.vm, effect.op, backend_.Act(effect.op, effect.domain));
  } catch (const core::Error&) {
    status_ = effect.vm + ": " + kUnavailableText;
    return;
  }
  std::string result = status_;
  if (Refresh()) status_ = result;
}

Effect MenuModel::Console() {
  mode_ = Mode::kList;
  const broker::VmView* vm = Selected();
  if (!vm) return {};
  Effect effect;
  effect.kind = Effect::kConsole;
  effect.domain = vm->domain;
  effect.vm = vm->vm;
  try {
    effect.console_fd = backend_.OpenConsole(vm->domain);
  } catch (const core::Error& e) {
    status_ = vm->vm + ": " + e.Describe();
    return {};
  }
  status_.clear();
  return effect;
}

void MenuModel::ConsoleEnded(const Effect& effect, ConsoleEnd how) {
  status_ = effect.vm + (how == ConsoleEnd::kUserLeft ? ": left the console."
                                                      : ": the console was closed.");
  std::string result = status_;
  if (Refresh()) status_ = result;
}

Frame MenuModel::Render(int width, int height) const {
  Frame frame;
  std::vector<std::string> status = Wrap(status_, width);
  if (status.size() > 3) status.resize(3);
  // Title, blank; then the body; then blank, actions, help and status.
  int footer = 3 + static_cast<int>(std::max<size_t>(status.size(), 1));
  int body = height - 2 - footer;
  frame.lines.push_back(Fit("Worlds - " + user_, width));
  frame.lines.push_back("");
  if (mode_ == Mode::kActions && Selected()) {
    AddActionLines(frame, width);
  } else {
    AddListLines(frame, width, body - 1);
  }
  while (static_cast<int>(frame.lines.size()) < height - footer) frame.lines.push_back("");
  frame.lines.resize(std::max(height - footer, 0));
  if (frame.highlight >= static_cast<int>(frame.lines.size())) frame.highlight = -1;
  frame.lines.push_back("");
  frame.lines.push_back(Fit(std::string("Actions: ") + kActionsText, width));
  frame.lines.push_back(Fit(kHelpText, width));
  if (status.empty()) status.push_back("");
  for (const std::string& line : status) frame.lines.push_back(line);
  if (static_cast<int>(frame.lines.size()) > height) {
    frame.lines.erase(frame.lines.begin(), frame.lines.end() - std::max(height, 0));
    frame.highlight = -1;
  }
  return frame;
}

void MenuModel::AddListLines(Frame& frame, int width, int rows) const {
  if (vms_.empty()) {
    frame.lines.push_back(Fit(kNoVmsText, width));
    return;
  }
  bool owners = owner_column();
  size_t number = vms_.size() > 9 ? 2 : 1;
  size_t lab = 3, owner = 5, vm = 2;
  for (const broker::VmView& v : vms_) {
    lab = std::max(lab, v.lab.size());
    owner = std::max(owner, v.owner.size());
    vm = std::max(vm, v.vm.size());
  }
  auto row = [&](const std::string& mark, const std::string& n, const std::string& l,
                 const std::string& o, const std::string& v, const std::string& s) {
    std::string line = mark + std::string(number - std::min(number, n.size()), ' ') + n +
                       "  " + Pad(l, lab) + "  ";
    if (owners) line += Pad(o, owner) + "  ";
    return Fit(line + Pad(v, vm) + "  " + s, width);
  };
  // Each scheduled lab's state under the list ("Lab netlab: closed until
  // Mon 09:00 CST"), with room kept for it.
  std::vector<std::string> lab_lines;
  for (const broker::VmView& v : vms_) {
    std::string line = "Lab " + v.lab + ": " + v.lab_state;
    if (!v.lab_state.empty() &&
        std::find(lab_lines.begin(), lab_lines.end(), line) == lab_lines.end()) {
      lab_lines.push_back(line);
    }
  }
  if (!lab_lines.empty()) rows -= static_cast<int>(lab_lines.size()) + 1;
  frame.lines.push_back(row("  ", "#", "Lab", "Owner", "VM", "State"));
  rows = std::max(rows, 1);
  int top = selected_ >= rows ? selected_ - rows + 1 : 0;
  for (int i = top; i < static_cast<int>(vms_.size()) && i < top + rows; ++i) {
    const broker::VmView& v = vms_[i];
    if (i == selected_) frame.highlight = static_cast<int>(frame.lines.size());
    // Why Worlds stopped it, when it did: "shut off (shut down at 11:50
    // CST: the lab closed)".
    std::string state = v.note.empty() ? v.state : v.state + " (" + v.note + ")";
    frame.lines.push_back(row(i == selected_ ? "> " : "  ", std::to_string(i + 1), v.lab,
                              v.owner, v.vm, state));
  }
  if (lab_lines.empty()) return;
  frame.lines.push_back("");
  for (const std::string& line : lab_lines) frame.lines.push_back(Fit(line, width));
}

void MenuModel::AddActionLines(Frame& frame, int width) const {
  const broker::VmView& v = *Selected();
  const std::vector<std::string> lines = {
      "Actions for " + v.vm + " (World " + v.lab + " of " + v.owner + ", " + v.state + "):",
      "",
      "  c    Open its console (Ctrl-] returns to the menu)",
      "  s    Start",
      "  d    Shut down (asks the system to stop)",
      "  p    Power off (like pulling the plug)",
      "  v    Revert to its clean snapshot (asks first)",
      "  Esc  Back to the list",
  };
  for (const std::string& line : lines) frame.lines.push_back(Fit(line, width));
  if (!v.note.empty()) frame.lines.push_back(Fit("Worlds stopped it: " + v.note + ".", width));
  if (!v.lab_state.empty()) frame.lines.push_back(Fit("Lab " + v.lab + ": " + v.lab_state, width));
  if (!v.host_keys.empty()) {
    // What `ssh` will show the first time: the student can check it is this VM.
    frame.lines.push_back("");
    frame.lines.push_back(Fit("Its SSH host keys (check them when you connect):", width));
    for (const std::string& key : v.host_keys) frame.lines.push_back(Fit("  " + key, width));
  }
}

}  // namespace menu

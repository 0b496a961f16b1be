// Pdmenu rc generation. Every inserted value goes through PdmenuText (for
// labels) or is checked to be shell-inert (for commands): pdmenu hands
// `exec` commands to a shell, so a name must never be able to add to one.
#include "menu/pdmenu.h"

#include <map>
#include <string_view>
#include <utility>

#include "core/embedded.h"
#include "core/error.h"

namespace menu {
namespace {

constexpr const char* kTemplate = "pdmenu/worlds.pdmenu.in";

bool IsInertWord(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '.' || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void Replace(std::string& text, const std::string& key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
}

struct Action {
  const char* label;
  const char* flags;
  const char* option;
};

// Hotkeys unique within a VM's menu (and 'B' for Back).
constexpr Action kActions[] = {
    {"_Console (Ctrl-] returns here)", "", "--console"},
    {"_Start", "pause", "--start"},
    {"S_hut down", "pause", "--shutdown"},
    {"_Power off", "pause", "--poweroff"},
    {"_Revert to the clean snapshot", "pause", "--revert"},
};

}  // namespace

std::string PdmenuText(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == ':' || c == '_' || c == '\\' || c == '@' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '-';
    }
  }
  return out;
}

std::string PdmenuRc(const std::string& user, const std::vector<broker::VmView>& vms,
                     const PdmenuOptions& options) {
  if (!IsInertWord(options.program)) {
    throw core::Error("cannot write a Pdmenu command calling '" + options.program + "'", "",
                      "install worlds in a path of letters, digits and / . _ + -");
  }
  if (!options.socket.empty() && !IsInertWord(options.socket)) {
    throw core::Error("cannot write a Pdmenu command with the socket '" + options.socket + "'",
                      "", "use a socket path of letters, digits and / . _ + -");
  }
  std::optional<std::string_view> source = core::EmbeddedFile(kTemplate);
  if (!source) throw core::Error("the Pdmenu template is missing from this build", kTemplate);

  std::string command = options.program + " menu";
  if (!options.socket.empty()) command += " --socket " + options.socket;

  // Worlds in the broker's order of first appearance, VMs in list order.
  std::vector<std::pair<std::string, std::string>> worlds;
  std::map<std::pair<std::string, std::string>, std::vector<const broker::VmView*>> members;
  for (const broker::VmView& vm : vms) {
    if (!broker::IsDomainName(vm.domain)) continue;
    auto key = std::make_pair(vm.lab, vm.owner);
    if (!members.count(key)) worlds.push_back(key);
    members[key].push_back(&vm);
  }

  std::string entries, menus;
  for (size_t w = 0; w < worlds.size(); ++w) {
    const auto& [lab, owner] = worlds[w];
    std::string id = "world" + std::to_string(w + 1);
    std::string world = PdmenuText(lab) + " (" + PdmenuText(owner) + ")";
    entries += "\tshow:_" + std::to_string((w + 1) % 10) + " " + world + "..::" + id + "\n";
    menus += "\nmenu:" + id + ":World " + world + ":Pick a VM\n";
    std::string vm_menus;
    const auto& list = members[worlds[w]];
    for (size_t v = 0; v < list.size(); ++v) {
      const broker::VmView& vm = *list[v];
      std::string vm_id = id + "vm" + std::to_string(v + 1);
      std::string name = PdmenuText(vm.vm);
      menus += "\tshow:_" + name + "..::" + vm_id + "\n";
      vm_menus += "\nmenu:" + vm_id + ":" + name + " (" + world + "):What to do with " + name +
                  "\n";
      for (const Action& action : kActions) {
        vm_menus += std::string("\texec:") + action.label + ":" + action.flags + ":" + command +
                    " " + action.option + " " + vm.domain + "\n";
      }
      vm_menus += "\tnop\n\texit:_Back\nendmenu\n";
    }
    menus += "\tnop\n\texit:_Back\nendmenu\n" + vm_menus;
  }
  if (worlds.empty()) entries = "\tnop:No VMs are deployed for you yet.\n";

  std::string rc(*source);
  Replace(rc, "@USER@", PdmenuText(user));
  Replace(rc, "@WORLDS@\n", entries);
  Replace(rc, "@WORLD_MENUS@\n", menus);
  return rc;
}

}  // namespace menu

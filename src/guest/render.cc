#include "guest/render.h"

#include <cstdint>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "guest/changes.h"
#include "guest/customizer.h"

namespace guest {

namespace {

// Lines without their '\n'. A final line lacking '\n' still counts, so a
// file written by a hand editor that dropped the last newline is not mangled.
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string::size_type start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::string Trim(const std::string& s) {
  const char* ws = " \t\r";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string FirstField(const std::string& line) {
  std::istringstream in(line);
  std::string field;
  in >> field;
  return field;
}

std::vector<std::string> FirstBootBlock(const std::vector<std::string>& commands,
                                        const std::string& path) {
  std::vector<std::string> block = {
      kFirstBootBegin,
      "# Written by Worlds before this VM's first boot; runs once, then "
      "removes itself."};
  // Everything the block prints goes to the console (rc.local's output)
  // and to a log in the guest; `|| true` keeps a log that cannot be
  // written from stopping `#!/bin/sh -e` before the block is removed.
  block.push_back("{");
  // A subshell keeps a command's `exit` from skipping the self-removal, and
  // `||` both reports a failure and keeps `#!/bin/sh -e` (Debian's default
  // rc.local) from aborting before the block is gone. An empty subshell is a
  // syntax error in sh, hence the guard.
  if (!commands.empty()) {
    block.push_back("(");
    for (const auto& command : commands) {
      std::string text = command;
      while (!text.empty() && text.back() == '\n') text.pop_back();
      block.push_back(text);
    }
    block.push_back(") || echo \"worlds: first-boot commands failed (status $?)\"");
  }
  block.push_back("echo \"worlds: first-boot block done\"");
  block.push_back(std::string("} 2>&1 | tee -a ") + kFirstBootLog + " || true");
  // sed -i writes a new file and renames it over the script; the running
  // shell keeps reading the old inode, so it finishes this script unharmed.
  block.push_back("sed -i '" + FirstBootSedExpression() + "' " + path);
  block.push_back(kFirstBootEnd);
  return block;
}

// Drops every complete Worlds block. A BEGIN without a matching END is left
// alone: guessing where it ends could delete the user's own lines.
std::vector<std::string> WithoutWorldsBlocks(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == kFirstBootBegin) {
      size_t end = i + 1;
      while (end < lines.size() && lines[end] != kFirstBootEnd) ++end;
      if (end < lines.size()) {
        i = end;
        continue;
      }
    }
    out.push_back(lines[i]);
  }
  return out;
}

}  // namespace

std::string FirstBootSedExpression() {
  // The markers hold no regex metacharacters besides '-', literal outside [].
  return std::string("/^") + kFirstBootBegin + "$/,/^" + kFirstBootEnd + "$/d";
}

std::string RenderRcLocal(const std::string& current,
                          const std::vector<std::string>& commands,
                          const std::string& path) {
  std::vector<std::string> lines = WithoutWorldsBlocks(SplitLines(current));
  if (lines.empty() || lines.front().rfind("#!", 0) != 0) {
    lines.insert(lines.begin(), "#!/bin/sh");
  }
  std::vector<std::string> block = FirstBootBlock(commands, path);

  // The block must run before the script's final `exit 0`, so it goes just
  // above the last meaningful line when that line is `exit 0`.
  size_t last = lines.size();
  for (size_t i = lines.size(); i-- > 0;) {
    std::string t = Trim(lines[i]);
    if (!t.empty() && t[0] != '#') {
      last = i;
      break;
    }
  }
  if (last < lines.size() && Trim(lines[last]) == "exit 0") {
    lines.insert(lines.begin() + last, block.begin(), block.end());
  } else if (current.empty()) {
    lines.insert(lines.end(), block.begin(), block.end());
    lines.push_back("exit 0");
  } else {
    lines.insert(lines.end(), block.begin(), block.end());
  }
  return JoinLines(lines);
}

std::string NetmaskFromPrefix(int prefix) {
  if (prefix < 0 || prefix > 32) {
    throw core::Error("network prefix /" + std::to_string(prefix) +
                          " is not between 0 and 32",
                      "", "use a CIDR prefix length such as 24");
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return std::to_string(mask >> 24) + "." + std::to_string((mask >> 16) & 0xff) +
         "." + std::to_string((mask >> 8) & 0xff) + "." +
         std::to_string(mask & 0xff);
}

std::string RenderInterfaces(const std::vector<NicConfig>& nics) {
  std::string out =
      "# Written by Worlds.\n"
      "auto lo\n"
      "iface lo inet loopback\n";
  for (const auto& nic : nics) {
    // busybox ifup rejects "address A/P", so the prefix becomes a netmask.
    out += "\nauto " + nic.interface + "\n" +
           "iface " + nic.interface + " inet static\n" +
           "    address " + nic.address + "\n" +
           "    netmask " + NetmaskFromPrefix(nic.prefix) + "\n";
  }
  return out;
}

std::string RenderHosts(const std::string& current, const std::string& hostname) {
  const std::string ours = "127.0.1.1 " + hostname;
  if (current.empty()) {
    return "127.0.0.1 localhost\n" + ours + "\n::1 localhost ip6-localhost ip6-loopback\n";
  }
  std::vector<std::string> lines;
  bool placed = false;
  size_t after_localhost = std::string::npos;
  for (const auto& line : SplitLines(current)) {
    std::string first = FirstField(line);
    if (first == "127.0.1.1") {
      if (!placed) lines.push_back(ours);
      placed = true;
      continue;
    }
    lines.push_back(line);
    if (first == "127.0.0.1") after_localhost = lines.size();
  }
  if (!placed) {
    if (after_localhost == std::string::npos) {
      lines.push_back(ours);
    } else {
      lines.insert(lines.begin() + after_localhost, ours);
    }
  }
  return JoinLines(lines);
}

std::string RenderWorldHosts(const std::string& current,
                             const std::vector<HostEntry>& entries) {
  static const char kBegin[] = "# BEGIN worlds hosts";
  static const char kEnd[] = "# END worlds hosts";
  std::vector<std::string> lines;
  bool inside = false;
  for (const std::string& line : SplitLines(current)) {
    if (line == kBegin) inside = true;
    if (!inside) lines.push_back(line);
    if (line == kEnd) inside = false;
  }
  if (!entries.empty()) {
    lines.push_back(kBegin);
    lines.push_back("# The VMs of this World, by hostname and lab VM name (Worlds).");
    for (const HostEntry& entry : entries) {
      std::string line = entry.address;
      for (const std::string& name : entry.names) line += " " + name;
      lines.push_back(line);
    }
    lines.push_back(kEnd);
  }
  return JoinLines(lines);
}

}  // namespace guest

#include "core/names.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <regex>
#include <vector>

namespace core {

bool IsValidName(const std::string& name) {
  static const std::regex kPattern("[a-z][a-z0-9-]{0,19}");
  return std::regex_match(name, kPattern);
}

bool IsValidUserName(const std::string& name) {
  static const std::regex kPattern("[a-z][a-z0-9_-]{0,31}");
  return std::regex_match(name, kPattern);
}

namespace {
uint64_t Fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}
}  // namespace

std::string LabObjectPrefix(const std::string& lab) {
  return kObjectPrefix + lab + "-";
}

std::string WorldObjectPrefix(const std::string& lab, const std::string& owner) {
  return LabObjectPrefix(lab) + owner + "-";
}

std::string DomainName(const std::string& lab, const std::string& owner,
                       const std::string& vm) {
  return WorldObjectPrefix(lab, owner) + vm;
}

std::string WorldPartition(const std::string& lab, const std::string& owner) {
  return std::string(kWorldsPartition) + "/" + lab + "_" + owner;
}

std::string NetworkName(const std::string& lab, const std::string& owner,
                        const std::string& net) {
  return WorldObjectPrefix(lab, owner) + net;
}

std::string BridgeName(const std::string& lab, const std::string& owner,
                       const std::string& net) {
  char buf[16];
  // '\n' cannot occur in a valid name, so the joined key is unambiguous.
  std::snprintf(buf, sizeof buf, "wb%013llx",
                static_cast<unsigned long long>(
                    Fnv1a64(lab + "\n" + owner + "\n" + net) &
                    0x1fffffffffffffULL));
  return buf;
}

std::string MacAddress(const std::string& domain, int nic_index) {
  uint64_t h = Fnv1a64(domain + "\n" + std::to_string(nic_index));
  char buf[18];
  // 52:54:00 is QEMU's prefix; libvirt accepts it for defined domains.
  std::snprintf(buf, sizeof buf, "52:54:00:%02x:%02x:%02x",
                static_cast<unsigned>((h >> 16) & 0xff),
                static_cast<unsigned>((h >> 8) & 0xff),
                static_cast<unsigned>(h & 0xff));
  return buf;
}

std::string WorldsDir(const std::string& state_dir) { return state_dir + "/worlds"; }

std::string OverlayDir(const std::string& state_dir, const std::string& lab,
                       const std::string& owner) {
  return WorldsDir(state_dir) + "/" + lab + "/" + owner;
}

std::string OverlayPath(const std::string& state_dir, const std::string& lab,
                        const std::string& owner, const std::string& vm) {
  return OverlayDir(state_dir, lab, owner) + "/" + vm + ".qcow2";
}

std::string ConsoleLogPath(const std::string& state_dir, const std::string& lab,
                           const std::string& owner, const std::string& vm) {
  return OverlayDir(state_dir, lab, owner) + "/" + vm + ".console.log";
}

std::string StateDbPath(const std::string& state_dir) {
  return state_dir + "/state.db";
}
std::string ImageDir(const std::string& state_dir) {
  return state_dir + "/images";
}
std::string LockPath(const std::string& state_dir) {
  return state_dir + "/deploy.lock";
}

std::string WorldLockPath(const std::string& state_dir, const std::string& lab,
                          const std::string& owner) {
  return state_dir + "/locks/" + lab + "/" + owner + ".lock";
}

std::optional<std::string> ExpandPattern(
    const std::string& pattern, const std::map<std::string, std::string>& vars,
    std::string* unknown) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) {
      if (unknown) *unknown = pattern.substr(i);
      return std::nullopt;
    }
    std::string key = pattern.substr(i + 1, close - i - 1);
    auto it = vars.find(key);
    if (it == vars.end()) {
      if (unknown) *unknown = "{" + key + "}";
      return std::nullopt;
    }
    out += it->second;
    i = close + 1;
  }
  return out;
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string Spellcheck(const std::string& word,
                       const std::vector<std::string>& candidates) {
  // Like ninja's SpellcheckStringV: allow a few edits, prefer the closest.
  const size_t kMaxDistance = 3;
  size_t best = kMaxDistance + 1;
  std::string result;
  for (const std::string& candidate : candidates) {
    size_t d = EditDistance(word, candidate);
    if (d < best) {
      best = d;
      result = candidate;
    }
  }
  return result;
}

}  // namespace core

// Small value parsers shared by lab validation and the deploy engine.
#include <cctype>
#include <climits>
#include <string>

#include "config/lab_parser.h"

namespace config {

namespace {
bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!std::isdigit(c)) return false;
  }
  return true;
}
}  // namespace

std::optional<uint32_t> ParseIpv4(const std::string& text) {
  uint32_t address = 0;
  size_t start = 0;
  for (int part = 0; part < 4; ++part) {
    size_t end = part < 3 ? text.find('.', start) : text.size();
    if (end == std::string::npos) return std::nullopt;
    std::string digits = text.substr(start, end - start);
    // Leading zeros are refused: inet_aton would read "010" as octal 8.
    if (!AllDigits(digits) || digits.size() > 3 ||
        (digits.size() > 1 && digits[0] == '0')) {
      return std::nullopt;
    }
    int value = std::stoi(digits);
    if (value > 255) return std::nullopt;
    address = (address << 8) | static_cast<uint32_t>(value);
    start = end + 1;
  }
  return address;
}

std::string FormatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." +
         std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." +
         std::to_string(address & 0xff);
}

std::optional<std::pair<uint32_t, int>> ParseCidr(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::optional<uint32_t> address = ParseIpv4(text.substr(0, slash));
  std::string prefix = text.substr(slash + 1);
  if (!address || !AllDigits(prefix) || prefix.size() > 2) return std::nullopt;
  int length = std::stoi(prefix);
  if (length > 32) return std::nullopt;
  return std::make_pair(*address, length);
}

uint32_t PrefixMask(int prefix) {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffffu;
  return ~((1u << (32 - prefix)) - 1);
}

bool IsValidHostname(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (name.front() == '-' || name.back() == '-') return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '-') return false;
  }
  return true;
}

std::optional<int> ParseMemoryMib(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  // More than 7 digits is far past any valid size and could overflow.
  if (digits == 0 || digits > 7) return std::nullopt;
  long long value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit.empty() || unit == "M" || unit == "MiB")
    return static_cast<int>(value);
  if ((unit == "G" || unit == "GiB") && value * 1024 <= INT_MAX) {
    return static_cast<int>(value * 1024);
  }
  return std::nullopt;
}

std::optional<int> ParseCpuPercent(const std::string& text) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string decimals = dot == std::string::npos ? "" : text.substr(dot + 1);
  // "1." and ".5" are not written by people; "1.50" is.
  if (!AllDigits(whole) || whole.size() > 4) return std::nullopt;
  if (dot != std::string::npos && (!AllDigits(decimals) || decimals.size() > 2)) {
    return std::nullopt;
  }
  while (decimals.size() < 2) decimals += '0';
  int percent = std::stoi(whole) * 100 + std::stoi(decimals);
  if (percent > 1024 * 100) return std::nullopt;
  return percent;
}

}  // namespace config

// Lab definitions: labs/*.yaml read with yaml-cpp marks and validated in one
// pass that reports every error, each as file:line:col: message.
//
// Keys (anything else is an error with a did-you-mean):
//   lab (required name), description,
//   images (required, non-empty): name, file, format (qcow2|raw), kernel,
//                                 initrd (needs kernel), cmdline (needs kernel)
//   networks: name, cidr (IPv4, host bits zero, prefix /8../30)
//   vms (required, non-empty): name, image, memory (MiB, or M/MiB/G/GiB,
//       64..65536 MiB, default 256), vcpus (1..64, default 1),
//       hostname (pattern, default "{vm}"), nics, commands (list of
//       first-boot shell commands)
//   nics: network, ip (pattern), gateway (a fixed IPv4 host address of
//         the network, not the NIC's own), dns (one to three IPv4
//         addresses, or one as a plain string)
//   schedule: timezone (IANA, default UTC), open and close ("YYYY-MM-DD
//             HH:MM" in that zone; close after open), windows (non-empty:
//             days [mon..sun], from "HH:MM", to "HH:MM" or "24:00"; to
//             before from crosses midnight; equal is an error), warning
//             and grace (minutes, default 5 and 2)
//   idle-shutdown: after (minutes, 1 or more)
//   cpu-limit: host CPUs each World may use, all its VMs together (0.01 to
//              1024, at most two decimals, e.g. 1.5); none by default
//
// Patterns (hostname, nic ip) may use {owner}, {vm}, {lab} and {index};
// any other {placeholder} is an error; gateway and dns take none. Commands
// are expanded too, but leniently (see ExpandCommand): shell braces such as
// ${x} stay as written.
//
// Positions recorded in the Lab: BaseImage/LabNetwork/LabVm::pos is the
// start of the entry's mapping; Nic::pos is the position of its `ip` value.
// All functions are thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/diagnostic.h"
#include "core/lab.h"

namespace config {

struct LabParseResult {
  std::optional<core::Lab> lab;  // set only when `errors` is empty
  Diagnostics errors;            // sorted by line, then column
};

// Parses and validates `text` as a lab read from `file_name`. Relative image
// files (file, kernel, initrd) are resolved against `image_dir` (skipped when
// empty), then against the lab file's own directory; absolute ones are kept.
// A file found in neither is an error. Resolved paths are absolute.
// Patterns are checked by expanding them for a sample World (owner
// "student", index 1), so errors that every World would have show up here.
// Never throws for bad input: every problem is a Diagnostic.
LabParseResult ParseLab(const std::string& text, const std::string& file_name,
                        const std::string& image_dir);

// Reads `path` and calls ParseLab; an unreadable file is one Diagnostic.
LabParseResult ParseLabFile(const std::string& path,
                            const std::string& image_dir);

// The `lab:` name of a lab file without validating the rest (for destroy,
// which must work even when the lab's images are gone). nullopt when the
// file cannot be read or has no valid name.
std::optional<std::string> ReadLabName(const std::string& path);

// Checks what depends on the roster: every World's expanded hostnames and
// IPs (valid, inside their network's CIDR, not its network or broadcast
// address, not the NIC's own gateway, no two NICs of one World with the
// same IP on one network; a gateway may be another NIC's IP).
// Messages name the owner, e.g. "ip '10.10.1.300' for owner 'carol' is not
// a valid IPv4 address"; IP errors point at the NIC's ip value, hostname
// errors at the VM (LabVm::pos). A problem that reads the same for every
// World is reported once. `lab` should be one ParseLab accepted.
Diagnostics CheckWorlds(const core::Lab& lab,
                        const std::vector<core::World>& worlds);

// The variables a pattern may use, for one VM in one World:
// {owner, vm, lab, index}.
std::map<std::string, std::string> PatternVars(const core::Lab& lab,
                                               const core::World& world,
                                               const std::string& vm);

// Expands {owner}, {vm}, {lab} and {index} in a first-boot command and
// leaves every other brace alone, including a placeholder right after '$'
// (`${vm}` is shell syntax, not ours). Never fails.
std::string ExpandCommand(const std::string& command,
                          const std::map<std::string, std::string>& vars);
std::vector<std::string> ExpandCommands(
    const std::vector<std::string>& commands,
    const std::map<std::string, std::string>& vars);

// "{owner}, {vm}, {lab}, {index}": what patterns may use.
inline constexpr const char* kPlaceholders = "{owner}, {vm}, {lab}, {index}";

// A strict dotted quad ("10.0.0.1": four decimal parts 0..255, no leading
// zeros, no spaces), in host byte order; nullopt otherwise.
std::optional<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t address);

// "a.b.c.d/n" with n in 0..32 -> {address as written, n}; host bits are
// not checked here. nullopt when malformed.
std::optional<std::pair<uint32_t, int>> ParseCidr(const std::string& text);

// The netmask of a prefix length (0..32), host byte order.
uint32_t PrefixMask(int prefix);

// A hostname label: letters, digits and '-', 1..63 characters, not starting
// or ending with '-'.
bool IsValidHostname(const std::string& name);

// "256", "256M", "256MiB", "1G", "1GiB" -> MiB; nullopt when not of that
// form or larger than fits an int. The range is not checked here.
std::optional<int> ParseMemoryMib(const std::string& text);

// A number of host CPUs with at most two decimals, as percent of one CPU:
// "1.5" -> 150, "2" -> 200, "0.25" -> 25; nullopt when not of that form
// (no sign, no exponent, no unit) or above 1024 CPUs. 0 is returned as 0:
// the range is the caller's.
std::optional<int> ParseCpuPercent(const std::string& text);

}  // namespace config

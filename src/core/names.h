// Every derived name in Worlds comes from here: domains, networks, bridges,
// overlay paths, and the strict name patterns that guard them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace core {

// Lab, VM, network and image names: a lowercase letter, then lowercase
// letters, digits and '-', at most 20 characters in all.
bool IsValidName(const std::string& name);
inline constexpr const char* kNameRule =
    "a lowercase letter followed by up to 19 lowercase letters, digits or '-'";

// Unix user and group names as Debian's adduser accepts them by default:
// a lowercase letter, then lowercase letters, digits, '_' or '-', at most 32.
bool IsValidUserName(const std::string& name);
inline constexpr const char* kUserNameRule =
    "a lowercase letter followed by up to 31 lowercase letters, digits, '_' or '-'";

// The snapshot every VM is reverted to.
inline constexpr const char* kCleanSnapshot = "clean";

// Every libvirt object Worlds makes (domain, network) is named with this
// prefix: "w-".
inline constexpr const char* kObjectPrefix = "w-";
// The prefix of every object of `lab`'s Worlds: "w-<lab>-".
std::string LabObjectPrefix(const std::string& lab);
// The prefix of every object of `owner`'s World of `lab`: "w-<lab>-<owner>-".
// Owners may contain '-': "w-lab-al-" also starts "al-x"'s objects.
std::string WorldObjectPrefix(const std::string& lab, const std::string& owner);

std::string DomainName(const std::string& lab, const std::string& owner,
                       const std::string& vm);  // w-<lab>-<owner>-<vm>
std::string NetworkName(const std::string& lab, const std::string& owner,
                        const std::string& net);  // w-<lab>-<owner>-<net>
// A bridge name unique per (lab, owner, net), at most 15 characters
// ("wb" + 13 hex digits of a 64-bit FNV-1a hash of the network name).
std::string BridgeName(const std::string& lab, const std::string& owner,
                       const std::string& net);
// The libvirt resource partition (<resource><partition>) all of `owner`'s
// World of `lab` runs in: "/machine/worlds/<lab>_<owner>". One per World, so
// CPU is shared per World, not per VM (virt/partition.h). '_' cannot occur
// in a lab name, so the first '_' splits it and no two Worlds share one
// (unlike '-', which both names may hold).
inline constexpr const char* kWorldsPartition = "/machine/worlds";
std::string WorldPartition(const std::string& lab, const std::string& owner);
// A stable locally administered MAC address for a VM's nth NIC.
std::string MacAddress(const std::string& domain, int nic_index);

// <state-dir>/worlds: every World's overlays and console logs below it.
std::string WorldsDir(const std::string& state_dir);
std::string OverlayDir(const std::string& state_dir, const std::string& lab,
                       const std::string& owner);
std::string OverlayPath(const std::string& state_dir, const std::string& lab,
                        const std::string& owner, const std::string& vm);
std::string ConsoleLogPath(const std::string& state_dir, const std::string& lab,
                           const std::string& owner, const std::string& vm);
std::string StateDbPath(const std::string& state_dir);
std::string ImageDir(const std::string& state_dir);
std::string LockPath(const std::string& state_dir);
// The lock of one World (deploy::WorldLock): <state-dir>/locks/<lab>/<owner>.lock,
// outside the overlay dir, so a destroy that deletes the overlays never
// deletes a lock file someone holds.
std::string WorldLockPath(const std::string& state_dir, const std::string& lab,
                          const std::string& owner);

// Replaces {owner}, {vm}, {lab} and {index} in `pattern` with their values.
// Returns nullopt with `*unknown` set to the first unknown {placeholder}
// when the pattern names one we do not know.
std::optional<std::string> ExpandPattern(
    const std::string& pattern, const std::map<std::string, std::string>& vars,
    std::string* unknown = nullptr);

// The closest of `candidates` to `word` within a small edit distance, for
// "did you mean" hints; empty when none is close.
std::string Spellcheck(const std::string& word,
                       const std::vector<std::string>& candidates);

}  // namespace core

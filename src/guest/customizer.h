// Offline customization of VM disks before their first boot.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "guest/os_info.h"

namespace guest {

struct NicConfig {
  std::string interface;  // the name the guest gives it: see NicNames()
  std::string address;    // dotted quad
  int prefix = 24;        // CIDR prefix length
  std::string mac;        // the domain's MAC for this NIC: what configs match
  std::string network;    // the lab network's name
  std::string gateway;    // default route via this NIC ("" = none)
  std::vector<std::string> dns;  // resolvers
};

// One line of the World's /etc/hosts block: a VM's address and names.
struct HostEntry {
  std::string address;
  std::vector<std::string> names;  // hostname, then the lab's VM name
};

// An SSH host key pair made on the host for one clone.
struct HostKey {
  std::string type;         // "ed25519", "ecdsa", "rsa"
  std::string private_key;  // OpenSSH private key file text
  std::string public_key;   // one line: "<algorithm> <base64> <comment>"
  std::string fingerprint;  // "SHA256:..."
};

// What makes a clone its own machine.
struct Identity {
  std::string machine_id;  // 32 lowercase hex digits
  std::vector<HostKey> host_keys;
};

// Everything written into one VM's disk.
struct GuestEdit {
  std::string disk_path;    // a qcow2 overlay, writable
  std::string disk_format = "qcow2";
  std::string hostname;     // -> /etc/hostname (and /etc/hosts 127.0.1.1)
  std::vector<NicConfig> nics;  // -> the network stack's configuration
  std::vector<HostEntry> hosts;  // every VM of the World -> /etc/hosts
  std::vector<std::string> commands;  // -> first-boot block of rc.local
  OsInfo os;          // what inspection found in the base
  Identity identity;  // empty machine_id: the guest keeps the base's
};

struct EditResult {
  std::string disk_path;
  bool ok = false;
  std::string error;  // why, when !ok
};

// The interface names a guest gives its NICs, in order, for NICs on lab
// networks `networks`. Where the guest can rename interfaces (udev), each
// is named after its network ("lan"; at most 15 characters; "lan2" for a
// second NIC on it); busybox guests keep the kernel's eth0, eth1, ...
std::vector<std::string> NicNames(const OsInfo& os, const std::vector<std::string>& networks);

// The lines Worlds puts around its first-boot block in /etc/rc.local.
inline constexpr const char* kFirstBootBegin = "# BEGIN worlds first-boot";
inline constexpr const char* kFirstBootEnd = "# END worlds first-boot";

// Returns the new text of /etc/rc.local given its current text (empty when
// the image has none): the shebang kept or added, any earlier Worlds block
// replaced (so re-running converges), the block placed before a final
// `exit 0`. The block runs `commands`, logging their output, then deletes
// itself from the file at `path` (the guest's rc.local).
std::string RenderRcLocal(const std::string& current,
                          const std::vector<std::string>& commands,
                          const std::string& path = "/etc/rc.local");

// Returns /etc/network/interfaces (ifupdown syntax, which busybox reads too)
// for `nics`, with the loopback first.
std::string RenderInterfaces(const std::vector<NicConfig>& nics);

// Where the time of the last Apply went, for progress and benchmarks.
struct ApplyStats {
  int drives = 0;                // disks in the appliance
  double launch_seconds = 0;     // appliance boot
  double edit_seconds = 0;       // finding roots and writing, all disks
  double shutdown_seconds = 0;   // sync + appliance shutdown
};

class Customizer {
 public:
  virtual ~Customizer() = default;

  // Applies every edit; all disks go into as few appliance launches as the
  // implementation allows (the real one: one). A disk that fails does not
  // stop the others: its EditResult says why. Results are in `edits` order.
  // Throws core::Error only when nothing could be done (appliance failed).
  virtual std::vector<EditResult> Apply(const std::vector<GuestEdit>& edits) = 0;

  // Appliance launches attempted so far (a failed one cost time too), for
  // progress and benchmarks.
  virtual int launches() const = 0;

  // Timings of the last Apply that launched; zeros when none did or when an
  // implementation does not measure.
  virtual ApplyStats last_stats() const { return {}; }
};

struct GuestfsOptions {
  // Backend settings are taken from the environment (LIBGUESTFS_BACKEND,
  // LIBGUESTFS_BACKEND_SETTINGS) when these are empty.
  std::string backend;
  std::string backend_settings;  // e.g. "force_tcg"
  bool trace = false;
};

std::unique_ptr<Customizer> NewGuestfsCustomizer(const GuestfsOptions& options);

// Reads files back from a disk (tests, `worlds doctor`): one read-only
// launch per call, backend from the environment, the guest's filesystems
// mounted as inspection finds them. Returns the text of each path in
// order; a missing file is an empty string. `disk_format` empty lets qemu
// probe it. Throws core::Error (where = disk_path) when the appliance
// cannot launch or inspection finds no single operating system.
std::vector<std::string> ReadGuestFiles(const std::string& disk_path,
                                        const std::vector<std::string>& paths,
                                        const std::string& disk_format = "");

// Launches a bare appliance with no disk and returns; throws core::Error
// with libguestfs's message when it cannot (for `worlds doctor`).
void LaunchBareAppliance(const GuestfsOptions& options);

}  // namespace guest

// A clone's identity, made on the host at deploy time: a machine-id and
// SSH host keys (ssh-keygen, argv only), written into its overlay by the
// customizer and recorded (fingerprints, never private keys) in the store.
#pragma once

#include <string>

#include "guest/customizer.h"

namespace deploy {

// A new identity for a clone of a base described by `os`, its keys
// commented `comment` ("root@<hostname>"). Host keys are made only where
// the guest has sshd: ed25519 and ecdsa. RSA is left out on purpose: a
// 3072-bit key costs ~0.5 s of CPU, a minute for a class of 120 VMs, and
// sshd skips a missing default key silently. Throws core::Error when
// ssh-keygen is missing or fails.
guest::Identity NewIdentity(const guest::OsInfo& os, const std::string& comment);

// The host key types NewIdentity makes.
inline constexpr const char* kHostKeyTypes[] = {"ed25519", "ecdsa"};

// What the worker reports and the store keeps: the identity without the
// private keys, and the names the guest gives its NICs, as JSON
// {"machine_id", "host_keys": [{type, fingerprint, public_key}],
//  "nics": [{name, mac, address}]}.
std::string PublicIdentityJson(const guest::Identity& identity,
                               const std::vector<guest::NicConfig>& nics);

}  // namespace deploy

// The ssh command that runs a program on a lab host (issue 14): a deploy's
// workers run where the disks are, started over SSH as an argv, as
// libvirt's own qemu+ssh transport reaches that host. The host, user and
// port come from the host's libvirt URI, and so do the ssh parameters
// libvirt itself honours: keyfile= (ssh -i), command= (the ssh binary),
// no_verify=1 (no host key check). No shell string is ever built here: the
// remote argv is checked to hold only plain words, so what the remote
// shell runs is exactly that argv.
#pragma once

#include <string>
#include <vector>

namespace hosts {

// The argv that runs `remote` on the host of `uri` over SSH, non-interactive
// (BatchMode: a missing key fails instead of asking), giving up on a host
// that does not answer (15 s to connect, 30 s of silence once connected).
// Throws core::InputError (where: "uri") when `uri` reaches no host over SSH
// (qemu:///system, qemu+tls://: workers need SSH), and core::Error when a
// word of `remote` is not plain ([A-Za-z0-9_./:=@%+,-], not empty).
std::vector<std::string> SshArgv(const std::string& uri, const std::vector<std::string>& remote);

// The argv that prints the ssh configuration libvirt's own ssh (qemu+ssh)
// gets for the host of `uri`: `ssh -G` with its host, user and port, and
// its command= binary. Throws as SshArgv does.
std::vector<std::string> SshConfigArgv(const std::string& uri);

// Where another host's QEMU sends a VM migrating live to the lab host of
// libvirt URI `uri`: "tcp://HOST" for a URI that names a host, "" for one
// that does not (qemu:///system: libvirt then gives that host's own name).
std::string MigrationUri(const std::string& uri);

}  // namespace hosts

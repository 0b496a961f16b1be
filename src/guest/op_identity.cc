// Every clone its own identity: a machine-id and SSH host keys made on the
// host for this VM (virt-sysprep only deletes keys and hopes a first boot
// makes new ones; Debian's does not), and no shared random seed.
#include "guest/operations.h"

namespace guest {

namespace {

bool HasIdentity(const GuestEdit& edit) { return !edit.identity.machine_id.empty(); }

}  // namespace

Operation MachineIdOperation() {
  return {"machine-id",
          "/etc/machine-id (and dbus's copy) new for each clone; the random seed removed",
          [](const OsInfo& os) { return os.type == "linux"; },
          [](const GuestEdit& edit, GuestChanges& changes) {
            if (!HasIdentity(edit)) return;
            const std::string id = edit.identity.machine_id + "\n";
            changes.Write("/etc/machine-id", id, 0444);
            if (edit.os.dbus_machine_id) changes.Write("/var/lib/dbus/machine-id", id, 0444);
            changes.Remove("/var/lib/systemd/random-seed");
            changes.Remove("/var/lib/urandom/random-seed");
          }};
}

Operation SshHostKeysOperation() {
  return {"ssh-host-keys",
          "the base's SSH host keys replaced by keys made on the host for each clone",
          [](const OsInfo& os) { return os.sshd || !os.ssh_host_keys.empty(); },
          [](const GuestEdit& edit, GuestChanges& changes) {
            if (!HasIdentity(edit)) return;
            for (const std::string& path : edit.os.ssh_host_keys) changes.Remove(path);
            for (const HostKey& key : edit.identity.host_keys) {
              const std::string path = "/etc/ssh/ssh_host_" + key.type + "_key";
              changes.Write(path, key.private_key, 0600);
              changes.Write(path + ".pub", key.public_key, 0644);
            }
          }};
}

}  // namespace guest

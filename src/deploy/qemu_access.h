// Whether QEMU, running as its own user under qemu:///system, can reach the
// files deploy makes: every directory from / down to <state-dir>/worlds and
// the image dir must be searchable (x) by that user, or the first start of a
// VM fails with libvirt's "Cannot access storage file ... Permission denied"
// long after the deploy said it succeeded. Decided here; `worlds deploy`
// (through Env::check_host) and `worlds doctor` both ask.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace deploy {

// Who a process runs as, for permission checks.
struct Identity {
  std::string name;
  uid_t uid = 0;
  std::vector<gid_t> gids;  // primary and supplementary
};

// The `user = "..."` of libvirt's qemu.conf text; "libvirt-qemu" (Debian's
// default) when it is not set.
std::string QemuUserFromConf(const std::string& qemu_conf_text);

// Whether QEMU runs as a user of its own for `connect`: true for
// qemu:///system (and qemu+...://host/system); false for a session URI,
// where QEMU runs as the caller.
bool QemuRunsAsItsOwnUser(const std::string& connect);

// getpwnam + getgrouplist; nullopt when there is no such user.
std::optional<Identity> LookUpIdentity(const std::string& name);

// The first directory on the way from / to `path` (which need not exist:
// only its existing leading part is checked; deploy makes the rest) that
// `who` cannot search, as the kernel decides: by the directory's POSIX
// access ACL when it has one, else by the mode bits (owner, then group,
// then other). nullopt when `who` can reach `path`.
std::optional<std::string> FirstUnsearchableDir(const std::string& path, const Identity& who);

// The check deploy and doctor run: throws core::Error naming the first
// directory that blocks QEMU's user from `paths`, and the fix. Does nothing
// for a session URI or when the QEMU user does not exist (QEMU is then not
// installed as libvirt's: libvirt itself says so).
void CheckQemuCanReach(const std::string& connect, const std::vector<std::string>& paths,
                       const std::string& qemu_conf = "/etc/libvirt/qemu.conf");

}  // namespace deploy

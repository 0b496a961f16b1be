// Who is calling the broker, and whether they may act on a VM. The decisions
// are pure functions over plain values, so they are tested without sockets,
// accounts or libvirt; only SystemIdentity reads the host's user database.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "store/store.h"

namespace broker {

// What the host says about a uid.
struct Identity {
  long uid = -1;
  std::string user;    // "" when the uid has no passwd entry
  bool admin = false;  // member of the admin group (or root)
};

// Maps the uid SO_PEERCRED gave to an Identity. Injectable so that unit
// tests, which run as one uid, can play several users.
using IdentityResolver = std::function<Identity(uid_t)>;

// The host's answer: getpwuid, then admin when the user is root or a member
// (primary or supplementary) of `admin_group`; a missing group makes no
// admins. Thread-safe (uses the _r functions).
IdentityResolver SystemIdentity(std::string admin_group);

// An Identity plus the user's row in state.db (users), when there is one.
struct Caller {
  Identity identity;
  std::optional<store::UserRecord> roster;
};

// The name events record as actor: the user name, or "uid N".
std::string ActorName(const Identity& identity);

// Why `caller` may not use the broker at all (list and VM actions), or
// nullopt when they may: refused when the uid has no user name, or when the
// user is neither in state.db nor an admin.
std::optional<std::string> RefuseCaller(const Caller& caller);

// Whether `caller` may act on a VM owned by `owner` (a user, or a roster
// group for Worlds deployed per group): its owner, a member of its group,
// or an admin.
bool MayActOn(const Caller& caller, const std::string& owner);

// Why `caller` may not act on `domain`, whose state.db row is `vm` (nullopt
// when it is not a Worlds VM), or nullopt when they may. Non-admins get the
// same answer for someone else's VM and for no VM at all, so the broker
// tells nobody which domains exist.
std::optional<std::string> RefuseVm(const Caller& caller, const std::string& domain,
                                    const std::optional<store::VmRecord>& vm);

}  // namespace broker

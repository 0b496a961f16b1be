// The broker's wire protocol, version 1: JSON lines over a Unix socket.
//
// Each request is one line (at most kMaxRequestBytes, '\n'-terminated) of a
// JSON object: {"v":1,"op":OP,...}. Each reply is one line:
//   {"v":1,"ok":true,...}  or  {"v":1,"ok":false,"error":"what, in words"}.
// Ops:
//   "whoami"                      -> {"user":U,"uid":N,"admin":bool}
//   "list"                        -> {"vms":[{"lab","owner","vm","domain","state",
//                                     "host_keys"?,"lab_state"?,"note"?,
//                                     "console_user"?}]}
//                                    (only what the caller may act on; admins: all)
//   "start"|"shutdown"|"poweroff"|"revert"  with "domain":D  -> {"state":S}
//   "console" with "domain":D     -> {"console":true}, after which the
//                                    connection carries raw console bytes both
//                                    ways until either side closes it.
// No field names a user: the caller is who SO_PEERCRED says.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace broker {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxRequestBytes = 4096;
inline constexpr size_t kMaxDomainName = 128;

// Whether `name` can be a Worlds domain: "w-" then [a-z0-9_-], at most
// kMaxDomainName characters (core's names are far shorter). Anything else
// is refused before it reaches libvirt or SQL.
bool IsDomainName(const std::string& name);

enum class Op { kWhoami, kList, kStart, kShutdown, kPowerOff, kRevert, kConsole };
const char* ToString(Op op);

struct Request {
  Op op = Op::kList;
  std::string domain;  // for ops that act on one VM
};

// Parses one request line. Returns nullopt and sets `*error` (a message for
// the client) when the line is not valid JSON, not an object, has the wrong
// "v", an unknown "op", a missing/invalid "domain", or unknown fields.
std::optional<Request> ParseRequest(const std::string& line, std::string* error);
std::string EncodeRequest(const Request& request);  // one line, no '\n'

struct VmView {
  std::string lab;
  std::string owner;
  std::string vm;
  std::string domain;
  std::string state;  // "running", "shut off", "paused", "missing", ...
  // The SSH host keys Worlds made for the VM, "<TYPE> SHA256:<fingerprint>",
  // so a student can check the VM they reach; empty when none recorded.
  std::vector<std::string> host_keys = {};
  // The lab's schedule as the student reads it ("open until Wed 11:50 CST",
  // "closed until Mon 09:00 CST"); empty for a lab without a schedule.
  std::string lab_state = {};
  // Why Worlds last stopped this VM by itself, while it stays stopped
  // ("shut down at 10:42: idle for 30 min", "shut down at 11:50: the lab
  // closed"); empty otherwise.
  std::string note = {};
  // Who has its console open now; admins only see it (worlds top).
  std::string console_user = {};
};

struct Reply {
  bool ok = false;
  std::string error;          // when !ok
  std::string user;           // whoami
  long uid = -1;              // whoami
  bool admin = false;         // whoami
  std::vector<VmView> vms;    // list
  std::string state;          // start/shutdown/poweroff/revert
  bool console = false;       // console accepted
};

std::string EncodeReply(const Reply& reply);  // one line, no '\n'
// Throws core::Error when the line is not a valid reply.
Reply ParseReply(const std::string& line);

}  // namespace broker

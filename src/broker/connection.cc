// The request loop of one connection: identity once (SO_PEERCRED), then a
// line, a decision, an action, a reply and an events row per request.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "broker/connection.h"
#include "broker/identity.h"
#include "broker_client/protocol.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/lab_policy.h"
#include "deploy/vm_actions.h"
#include "schedule/schedule.h"

namespace broker {

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    // MSG_NOSIGNAL: a client that left must not kill the broker with SIGPIPE.
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

namespace {

enum class LineResult { kLine, kClosed, kTooLong };

// Up to this many VMs, `list` asks libvirt about each; beyond, it reads every
// domain of the host in one pass.
constexpr size_t kLookUpEachUpTo = 12;

class Connection {
 public:
  Connection(Backend& backend, int fd) : backend_(backend), fd_(fd) {}

  void Run() {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
      Send(Refusal("cannot tell who is calling (SO_PEERCRED failed)"));
      return;
    }
    identity_ = backend_.options.resolve(cred.uid);
    for (;;) {
      std::string line;
      LineResult got = ReadLine(&line);
      if (got == LineResult::kClosed) return;
      if (got == LineResult::kTooLong) {
        std::string message =
            "request longer than " + std::to_string(kMaxRequestBytes) + " bytes";
        Record("request", "", "error", message);
        Send(Refusal(message));
        return;  // the rest of that line is not worth reading
      }
      if (!HandleLine(line)) return;
    }
  }

 private:
  static Reply Refusal(std::string message) {
    Reply reply;
    reply.error = std::move(message);
    return reply;
  }

  bool Send(const Reply& reply) {
    std::string line = EncodeReply(reply) + "\n";
    return SendAll(fd_, line.data(), line.size());
  }

  // One line, without its '\n'. Bytes after it stay in buffer_.
  LineResult ReadLine(std::string* line) {
    for (;;) {
      size_t end = buffer_.find('\n');
      if (end != std::string::npos) {
        if (end > kMaxRequestBytes) return LineResult::kTooLong;
        *line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return LineResult::kLine;
      }
      if (buffer_.size() > kMaxRequestBytes) return LineResult::kTooLong;
      struct pollfd pfd = {fd_, POLLIN, 0};
      int ready = ::poll(&pfd, 1, backend_.options.idle_timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return LineResult::kClosed;  // idle too long, or poll failed
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return LineResult::kClosed;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // False when the connection must end (reply undeliverable, console over).
  bool HandleLine(const std::string& line) {
    std::string error;
    std::optional<Request> request = ParseRequest(line, &error);
    if (!request) {
      Record("request", "", "error", error);
      return Send(Refusal(error));
    }
    const char* action = ToString(request->op);
    const std::string& target = request->domain;
    Reply reply;
    std::unique_ptr<virt::ConsoleStream> console;
    std::string result = "ok";
    bool recorded = false;  // VmActions wrote the events row itself
    try {
      Caller caller = LookUp();
      std::optional<std::string> refused;
      std::optional<store::VmRecord> vm;
      if (request->op == Op::kWhoami) {
        if (identity_.user.empty()) refused = RefuseCaller(caller);
      } else if (request->op == Op::kList) {
        refused = RefuseCaller(caller);
      } else {
        {
          std::lock_guard<std::mutex> lock(backend_.store_mu);
          vm = backend_.store->FindVmByDomain(target);
        }
        refused = RefuseVm(caller, target, vm);
      }
      if (refused) {
        result = "refused";
        reply = Refusal(*refused);
      } else if (std::optional<std::string> closed = ClosedToStudent(request->op, *vm)) {
        result = "refused";
        reply = Refusal(*closed);
      } else if (std::optional<deploy::VmOp> op = VmOpOf(request->op)) {
        reply = ActOnVm(*op, *vm);
        recorded = true;
      } else {
        reply = Act(caller, *request, &console);
      }
    } catch (const core::Error& e) {
      result = "error";
      reply = Refusal(e.Describe());
    } catch (const std::exception& e) {
      result = "error";
      reply = Refusal(std::string("internal error: ") + e.what());
    }
    if (!recorded) Record(action, target, result, reply.ok ? Detail(reply) : reply.error);
    if (!Send(reply)) return false;
    if (!console) return true;
    // Listed while it is relayed, however the relay ends.
    struct Listed {
      ConsoleSessions& sessions;
      const std::string& domain;
      std::shared_ptr<ConsoleSessions::Session> session;
      ~Listed() { sessions.Remove(domain, session); }
    } listed{backend_.consoles, target, backend_.consoles.Add(target, fd_, ActorName(identity_))};
    RelayConsole(fd_, *console, buffer_, listed.session->send_mu);
    return false;
  }

  Caller LookUp() {
    Caller caller;
    caller.identity = identity_;
    if (!identity_.user.empty()) {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      caller.roster = backend_.store->FindUser(identity_.user);
    }
    return caller;
  }

  Reply Act(const Caller& caller, const Request& request,
            std::unique_ptr<virt::ConsoleStream>* console) {
    Reply reply;
    reply.ok = true;
    switch (request.op) {
      case Op::kWhoami:
        reply.user = identity_.user;
        reply.uid = identity_.uid;
        reply.admin = identity_.admin;
        return reply;
      case Op::kList:
        reply.vms = List(caller);
        return reply;
      default:
        break;
    }
    if (request.op != Op::kConsole) {
      throw core::Error(std::string("op '") + ToString(request.op) + "' is not served here");
    }
    std::string host;  // the console is on the host its World lives on
    {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      std::optional<store::VmRecord> vm = backend_.store->FindVmByDomain(request.domain);
      if (vm) host = vm->host;
    }
    std::unique_lock<std::mutex> lock = backend_.vm_locks.Lock(request.domain);
    // No force: a second session would silently cut off the first.
    *console = backend_.HypervisorOf(host).OpenConsole(request.domain, false);
    reply.console = true;
    return reply;
  }

  // A student's start in a lab its schedule (or instructor) closed: the
  // refusal, with when it opens. Admins start what they like.
  std::optional<std::string> ClosedToStudent(Op op, const store::VmRecord& vm) {
    if (op != Op::kStart || identity_.admin) return std::nullopt;
    schedule::TimePoint now = std::chrono::system_clock::now();
    std::lock_guard<std::mutex> lock(backend_.store_mu);
    deploy::LabPolicyState policy = deploy::ReadLabPolicy(*backend_.store, vm.lab, now);
    if (policy.state.open) return std::nullopt;
    return "lab '" + vm.lab + "' is " + schedule::Describe(policy.state, policy.timezone, now) +
           "; ask your instructor";
  }

  // The VM actions VmActions decides, for admins and students alike.
  static std::optional<deploy::VmOp> VmOpOf(Op op) {
    switch (op) {
      case Op::kStart: return deploy::VmOp::kStart;
      case Op::kShutdown: return deploy::VmOp::kShutdown;
      case Op::kPowerOff: return deploy::VmOp::kPowerOff;
      case Op::kRevert: return deploy::VmOp::kRevert;
      default: return std::nullopt;
    }
  }

  // Runs `op` on the caller's `vm` through VmActions, which takes the
  // World's lock and writes the events row.
  Reply ActOnVm(deploy::VmOp op, const store::VmRecord& vm) {
    deploy::EventRecorder record = [this](const store::Event& event) {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      backend_.store->AddEvent(event);
    };
    deploy::Actor actor{identity_.uid, ActorName(identity_), deploy::Spelling::kProtocol};
    deploy::Admission admission =
        deploy::StoreAdmission(backend_.options.capacity, *backend_.store, backend_.store_mu);
    deploy::VmOutcome outcome;
    {
      std::unique_lock<std::mutex> lock = backend_.vm_locks.Lock(vm.domain);
      try {
        deploy::VmActions actions(backend_.options.state_dir, backend_.HypervisorOf(vm.host),
                                  record, std::move(admission));
        outcome = actions.Run(op, vm, actor);
      } catch (const core::Error& e) {
        // Its lab host cannot be reached: nothing was done.
        outcome.result = "error";
        outcome.detail = e.Describe();
      }
    }
    if (outcome.unrecorded) LogUnrecorded(actor.name, deploy::EventAction(op, actor.spelling),
                                          vm.domain, *outcome.unrecorded);
    if (!outcome.ok()) return Refusal(outcome.detail);
    Reply reply;
    reply.ok = true;
    reply.state = outcome.state;
    return reply;
  }

  static void LogUnrecorded(const std::string& actor, const std::string& action,
                            const std::string& target, const core::Error& e) {
    // The action happened (or was refused) already; the log is where an
    // administrator learns the audit trail has a hole.
    std::cerr << "worlds broker: cannot record event (" << actor << " " << action << " "
              << target << "): " << e.Describe() << std::endl;
  }

  // "<TYPE> SHA256:..." for each host key in a recorded identity (JSON).
  static std::vector<std::string> HostKeys(const std::string& identity) {
    std::vector<std::string> out;
    nlohmann::json doc = nlohmann::json::parse(identity, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("host_keys") || !doc["host_keys"].is_array()) {
      return out;
    }
    for (const nlohmann::json& key : doc["host_keys"]) {
      std::string type = key.value("type", "");
      for (char& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back(type + " " + key.value("fingerprint", ""));
    }
    return out;
  }

  std::vector<VmView> List(const Caller& caller) {
    std::vector<store::VmRecord> records;
    {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      if (caller.identity.admin) {
        records = backend_.store->Vms(std::nullopt, std::nullopt);
      } else {
        records = backend_.store->Vms(std::nullopt, caller.identity.user);
        const std::string& group = caller.roster ? caller.roster->group : "";
        if (!group.empty() && group != caller.identity.user) {
          for (auto& vm : backend_.store->Vms(std::nullopt, group)) {
            records.push_back(std::move(vm));
          }
        }
      }
    }
    std::vector<VmView> views;
    if (records.empty()) return views;
    // Each lab's schedule, as its students read it ("closed until ...");
    // nothing for a lab that has neither a schedule nor an override.
    std::map<std::string, std::string> lab_states;
    {
      schedule::TimePoint now = std::chrono::system_clock::now();
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      for (const store::VmRecord& vm : records) {
        if (lab_states.count(vm.lab)) continue;
        deploy::LabPolicyState policy = deploy::ReadLabPolicy(*backend_.store, vm.lab, now);
        lab_states[vm.lab] = policy.policy.schedule || policy.state.overridden
                                 ? schedule::Describe(policy.state, policy.timezone, now)
                                 : "";
      }
    }
    // No VM lock: a VM in the middle of a start or revert shows the state
    // libvirt has for it now. A student's few VMs are looked up one by one
    // (three calls each); an admin's list of the whole host is one pass
    // over every domain, cheaper than that from a dozen VMs on.
    // Each lab host is read for its own VMs; one that cannot be reached
    // shows its VMs "unreachable".
    std::map<std::string, std::vector<const store::VmRecord*>> on_host;
    for (const store::VmRecord& vm : records) on_host[vm.host].push_back(&vm);
    std::map<std::string, virt::DomainState> states;
    std::set<std::string> unreachable;
    for (const auto& [host, vms] : on_host) {
      try {
        virt::Hypervisor& reader = backend_.ReaderOf(host);
        if (vms.size() > kLookUpEachUpTo) {
          for (const virt::DomainUsage& d : reader.Usage(core::kObjectPrefix)) {
            states[d.name] = d.state;
          }
        } else {
          for (const store::VmRecord* vm : vms) {
            if (reader.DomainExists(vm->domain)) states[vm->domain] = reader.State(vm->domain);
          }
        }
      } catch (const core::Error& e) {
        if (host.empty()) throw;  // the connect host: as before, the request fails
        for (const store::VmRecord* vm : vms) unreachable.insert(vm->domain);
      }
    }
    for (const store::VmRecord& vm : records) {
      auto it = states.find(vm.domain);
      std::string state = unreachable.count(vm.domain) ? "unreachable"
                          : it == states.end()         ? "missing"
                                                       : virt::ToString(it->second);
      VmView view{vm.lab, vm.owner, vm.vm, vm.domain, state, HostKeys(vm.identity)};
      if (caller.identity.admin) view.console_user = backend_.consoles.User(vm.domain);
      view.lab_state = lab_states[vm.lab];
      if (backend_.rules) view.note = backend_.rules->Note(vm.domain);
      views.push_back(std::move(view));
    }
    return views;
  }

  static std::string Detail(const Reply& reply) {
    if (reply.console) return "console opened";
    if (!reply.user.empty()) return reply.admin ? "admin" : "";
    return std::to_string(reply.vms.size()) + " VM(s)";
  }

  void Record(const std::string& action, const std::string& target,
              const std::string& result, const std::string& detail) {
    store::Event event;
    event.uid = identity_.uid;
    event.actor = ActorName(identity_);
    event.action = action;
    event.target = target;
    event.result = result;
    event.detail = detail;
    try {
      std::lock_guard<std::mutex> lock(backend_.store_mu);
      backend_.store->AddEvent(event);
    } catch (const core::Error& e) {
      LogUnrecorded(event.actor, action, target, e);
    }
  }

  Backend& backend_;
  int fd_;
  Identity identity_;
  std::string buffer_;
};

}  // namespace

void ServeConnection(Backend& backend, int fd) {
  try {
    Connection(backend, fd).Run();
  } catch (const std::exception& e) {
    std::cerr << "worlds broker: connection ended: " << e.what() << std::endl;
  }
}

}  // namespace broker

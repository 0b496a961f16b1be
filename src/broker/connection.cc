// The request loop of one connection: identity once (SO_PEERCRED), then a
// line, a decision, an action, a reply and an events row per request.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "broker/connection.h"
#include "broker/identity.h"
#include "broker_client/protocol.h"
#include "core/error.h"

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

constexpr const char* kSnapshot = "clean";

enum class LineResult { kLine, kClosed, kTooLong };

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
    try {
      Caller caller = LookUp();
      std::optional<std::string> refused;
      if (request->op == Op::kWhoami) {
        if (identity_.user.empty()) refused = RefuseCaller(caller);
      } else if (request->op == Op::kList) {
        refused = RefuseCaller(caller);
      } else {
        std::optional<store::VmRecord> vm;
        {
          std::lock_guard<std::mutex> lock(backend_.store_mu);
          vm = backend_.store->FindVmByDomain(target);
        }
        refused = RefuseVm(caller, target, vm);
      }
      if (refused) {
        result = "refused";
        reply = Refusal(*refused);
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
    Record(action, target, result, reply.ok ? Detail(reply) : reply.error);
    if (!Send(reply)) return false;
    if (!console) return true;
    RelayConsole(fd_, *console, buffer_);
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
    std::lock_guard<std::mutex> lock(backend_.hypervisor_mu);
    virt::Hypervisor& hv = *backend_.hypervisor;
    const std::string& domain = request.domain;
    switch (request.op) {
      case Op::kStart:
        hv.Start(domain);
        break;
      case Op::kShutdown:
        hv.Shutdown(domain);
        break;
      case Op::kPowerOff:
        hv.PowerOff(domain);
        break;
      case Op::kRevert:
        // The snapshot is of a shut-off disk: a running VM ends shut off.
        hv.RevertToSnapshot(domain, kSnapshot);
        break;
      case Op::kConsole:
        // No force: a second session would silently cut off the first.
        *console = hv.OpenConsole(domain, false);
        reply.console = true;
        return reply;
      default:
        break;
    }
    reply.state = virt::ToString(hv.State(domain));
    return reply;
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
    std::lock_guard<std::mutex> lock(backend_.hypervisor_mu);
    for (const store::VmRecord& vm : records) {
      std::string state = "missing";
      if (backend_.hypervisor->DomainExists(vm.domain)) {
        state = virt::ToString(backend_.hypervisor->State(vm.domain));
      }
      views.push_back({vm.lab, vm.owner, vm.vm, vm.domain, state, HostKeys(vm.identity)});
    }
    return views;
  }

  static std::string Detail(const Reply& reply) {
    if (!reply.state.empty()) return "state " + reply.state;
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
      // The action happened (or was refused) already; the log is where an
      // administrator learns the audit trail has a hole.
      std::cerr << "worlds broker: cannot record event (" << event.actor << " "
                << action << " " << target << "): " << e.Describe() << std::endl;
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

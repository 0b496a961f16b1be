// JSON lines through nlohmann::json. Parsing is strict on purpose: the broker
// runs as root and reads from anyone on the host, so anything not exactly
// version 1 is refused, and nothing hostile is echoed back at length.
#include "broker_client/protocol.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/names.h"

namespace broker {
namespace {

using nlohmann::json;

struct OpName {
  Op op;
  const char* name;
  bool needs_domain;
};

constexpr OpName kOps[] = {
    {Op::kWhoami, "whoami", false},    {Op::kList, "list", false},
    {Op::kStart, "start", true},       {Op::kShutdown, "shutdown", true},
    {Op::kPowerOff, "poweroff", true}, {Op::kRevert, "revert", true},
    {Op::kConsole, "console", true},
};

const OpName* FindOp(const std::string& name) {
  for (const OpName& op : kOps) {
    if (name == op.name) return &op;
  }
  return nullptr;
}

// What the client sent, quoted but cut short: enough to recognise a typo.
std::string Quote(const std::string& text) {
  constexpr size_t kShown = 40;
  std::string shown = text.size() > kShown ? text.substr(0, kShown) + "..." : text;
  return json(shown).dump(-1, ' ', true, json::error_handler_t::replace);
}

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

}  // namespace

const char* ToString(Op op) {
  for (const OpName& entry : kOps) {
    if (entry.op == op) return entry.name;
  }
  return "?";
}

bool IsDomainName(const std::string& name) {
  const std::string prefix = core::kObjectPrefix;
  if (name.size() <= prefix.size() || name.size() > kMaxDomainName ||
      name.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<Request> ParseRequest(const std::string& line, std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  if (line.size() > kMaxRequestBytes) {
    Fail(error, "request longer than " + std::to_string(kMaxRequestBytes) + " bytes");
    return std::nullopt;
  }
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    Fail(error, "malformed request: not JSON");
    return std::nullopt;
  }
  if (!doc.is_object()) {
    Fail(error, "malformed request: not a JSON object");
    return std::nullopt;
  }
  auto v = doc.find("v");
  if (v == doc.end() || !v->is_number_integer() || v->get<long long>() != kProtocolVersion) {
    Fail(error, "unsupported protocol version (this broker speaks \"v\":1)");
    return std::nullopt;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "v" && key != "op" && key != "domain") {
      Fail(error, "unknown field " + Quote(key));
      return std::nullopt;
    }
  }
  auto op = doc.find("op");
  if (op == doc.end() || !op->is_string()) {
    Fail(error, "malformed request: \"op\" must be a string");
    return std::nullopt;
  }
  const OpName* known = FindOp(op->get<std::string>());
  if (known == nullptr) {
    Fail(error, "unknown op " + Quote(op->get<std::string>()) +
                    " (known: whoami, list, start, shutdown, poweroff, revert, console)");
    return std::nullopt;
  }
  Request request;
  request.op = known->op;
  auto domain = doc.find("domain");
  if (!known->needs_domain) {
    if (domain != doc.end()) {
      Fail(error, std::string("op \"") + known->name + "\" takes no \"domain\"");
      return std::nullopt;
    }
    return request;
  }
  if (domain == doc.end()) {
    Fail(error, std::string("op \"") + known->name + "\" needs a \"domain\"");
    return std::nullopt;
  }
  if (!domain->is_string() || !IsDomainName(domain->get<std::string>())) {
    Fail(error, "invalid domain name (expected w-[a-z0-9_-]+)");
    return std::nullopt;
  }
  request.domain = domain->get<std::string>();
  return request;
}

std::string EncodeRequest(const Request& request) {
  json doc = {{"v", kProtocolVersion}, {"op", ToString(request.op)}};
  const OpName* op = FindOp(ToString(request.op));
  if (op && op->needs_domain) doc["domain"] = request.domain;
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EncodeReply(const Reply& reply) {
  json doc = {{"v", kProtocolVersion}, {"ok", reply.ok}};
  if (!reply.ok) {
    doc["error"] = reply.error;
  } else {
    if (!reply.user.empty()) {
      doc["user"] = reply.user;
      doc["uid"] = reply.uid;
      doc["admin"] = reply.admin;
    }
    if (!reply.state.empty()) doc["state"] = reply.state;
    if (reply.console) doc["console"] = true;
    // A list reply is the one that carries nothing else, even with no VMs.
    if (!reply.vms.empty() || (reply.user.empty() && reply.state.empty() && !reply.console)) {
      json vms = json::array();
      for (const VmView& vm : reply.vms) {
        json entry = {{"lab", vm.lab},
                      {"owner", vm.owner},
                      {"vm", vm.vm},
                      {"domain", vm.domain},
                      {"state", vm.state}};
        if (!vm.host_keys.empty()) entry["host_keys"] = vm.host_keys;
        if (!vm.lab_state.empty()) entry["lab_state"] = vm.lab_state;
        if (!vm.note.empty()) entry["note"] = vm.note;
        if (!vm.console_user.empty()) entry["console_user"] = vm.console_user;
        vms.push_back(std::move(entry));
      }
      doc["vms"] = std::move(vms);
    }
  }
  // Invalid UTF-8 (from a libvirt message, say) must not make dump throw.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

[[noreturn]] void BadReply(const std::string& why) {
  throw core::Error("malformed reply from the Worlds broker: " + why, "",
                    "check that `worlds` and `worlds broker` are the same version");
}

std::string StringField(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) return "";
  if (!it->is_string()) BadReply(std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

}  // namespace

Reply ParseReply(const std::string& line) {
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) BadReply("not a JSON object");
  auto v = doc.find("v");
  if (v == doc.end() || !v->is_number_integer() || v->get<long long>() != kProtocolVersion) {
    BadReply("unsupported protocol version");
  }
  auto ok = doc.find("ok");
  if (ok == doc.end() || !ok->is_boolean()) BadReply("no \"ok\"");
  Reply reply;
  reply.ok = ok->get<bool>();
  if (!reply.ok) {
    reply.error = StringField(doc, "error");
    if (reply.error.empty()) BadReply("a refusal without an \"error\"");
    return reply;
  }
  reply.user = StringField(doc, "user");
  reply.state = StringField(doc, "state");
  if (auto uid = doc.find("uid"); uid != doc.end()) {
    if (!uid->is_number_integer()) BadReply("\"uid\" is not a number");
    reply.uid = uid->get<long>();
  }
  if (auto admin = doc.find("admin"); admin != doc.end()) {
    if (!admin->is_boolean()) BadReply("\"admin\" is not a boolean");
    reply.admin = admin->get<bool>();
  }
  if (auto console = doc.find("console"); console != doc.end()) {
    if (!console->is_boolean()) BadReply("\"console\" is not a boolean");
    reply.console = console->get<bool>();
  }
  if (auto vms = doc.find("vms"); vms != doc.end()) {
    if (!vms->is_array()) BadReply("\"vms\" is not a list");
    for (const json& item : *vms) {
      if (!item.is_object()) BadReply("an entry of \"vms\" is not an object");
      VmView view{StringField(item, "lab"), StringField(item, "owner"),
                  StringField(item, "vm"), StringField(item, "domain"),
                  StringField(item, "state")};
      if (auto keys = item.find("host_keys"); keys != item.end()) {
        if (!keys->is_array()) BadReply("\"host_keys\" is not a list");
        for (const json& key : *keys) {
          if (!key.is_string()) BadReply("an entry of \"host_keys\" is not a string");
          view.host_keys.push_back(key.get<std::string>());
        }
      }
      view.lab_state = StringField(item, "lab_state");
      view.note = StringField(item, "note");
      view.console_user = StringField(item, "console_user");
      reply.vms.push_back(std::move(view));
    }
  }
  return reply;
}

}  // namespace broker

// A Backend that serves a fixed list and records every request, for the
// menu's unit tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "menu/backend.h"

namespace menu {

class FakeBackend : public Backend {
 public:
  broker::Reply List() override {
    calls.push_back("list");
    if (unreachable) throw core::Error("cannot reach the Worlds broker at /x: refused");
    broker::Reply reply;
    reply.ok = list_error.empty();
    reply.error = list_error;
    if (reply.ok) reply.vms = vms;
    return reply;
  }

  broker::Reply Act(broker::Op op, const std::string& domain) override {
    calls.push_back(std::string(broker::ToString(op)) + " " + domain);
    if (unreachable) throw core::Error("lost the connection to the Worlds broker");
    broker::Reply reply;
    auto error = errors.find(domain);
    if (error != errors.end()) {
      reply.error = error->second;
      return reply;
    }
    reply.ok = true;
    reply.state = op == broker::Op::kStart ? "running" : "shut off";
    for (broker::VmView& vm : vms) {
      if (vm.domain == domain) vm.state = reply.state;
    }
    return reply;
  }

  int OpenConsole(const std::string& domain) override {
    calls.push_back("console " + domain);
    for (const broker::VmView& vm : vms) {
      if (vm.domain == domain && vm.state != "running") {
        throw core::Error("router is not running: start it first");
      }
    }
    return console_fd;
  }

  std::vector<broker::VmView> vms;
  std::string list_error;
  std::map<std::string, std::string> errors;  // domain -> refusal
  bool unreachable = false;
  int console_fd = 42;
  std::vector<std::string> calls;
};

inline broker::VmView Vm(const std::string& lab, const std::string& owner,
                         const std::string& vm, const std::string& state) {
  return {lab, owner, vm, "w-" + lab + "-" + owner + "-" + vm, state};
}

}  // namespace menu

// One-shot actions. The VM's short name comes from the broker's list, so
// the texts match the menu's; an unlisted domain is shown as is (and the
// broker refuses it in its own words).
#include "menu/one_shot.h"

#include <unistd.h>

#include <cstdio>

#include "core/error.h"
#include "menu/console.h"
#include "menu/model.h"
#include "menu/view.h"

namespace menu {
namespace {

std::string VmName(Backend& backend, const std::string& domain) {
  broker::Reply list = backend.List();
  for (const broker::VmView& vm : list.vms) {
    if (vm.domain == domain) return vm.vm;
  }
  return domain;
}

}  // namespace

int RunOneShot(Backend& backend, broker::Op op, const std::string& domain, bool yes,
               const std::function<int()>& read_answer, std::ostream& out, std::ostream& err) {
  try {
    std::string vm = VmName(backend, domain);
    if (op == broker::Op::kRevert && !yes) {
      out << RevertQuestion(vm) << std::endl;
      int answer = read_answer();
      if (answer != 'y' && answer != 'Y') {
        err << vm << ": revert cancelled." << std::endl;
        return 1;
      }
    }
    broker::Reply reply = backend.Act(op, domain);
    (reply.ok ? out : err) << ResultText(vm, op, reply) << std::endl;
    return reply.ok ? 0 : 1;
  } catch (const core::Error&) {
    err << kUnavailableText << std::endl;
    return 1;
  }
}

int RunConsoleOnce(Backend& backend, const std::string& domain, std::ostream& err) {
  std::string vm;
  int fd = -1;
  try {
    vm = VmName(backend, domain);
    fd = backend.OpenConsole(domain);
  } catch (const core::Error& e) {
    err << (vm.empty() ? kUnavailableText : vm + ": " + e.Describe()) << std::endl;
    return 1;
  }
  InstallMenuSignals();
  RawTerminal raw(STDIN_FILENO);
  std::string banner = ConsoleBanner(vm) + "\r\n";
  std::fwrite(banner.data(), 1, banner.size(), stdout);
  std::fflush(stdout);
  RelayConsole(fd, STDIN_FILENO, STDOUT_FILENO, &g_hangup);
  ::close(fd);
  std::fputs("\r\n", stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace menu

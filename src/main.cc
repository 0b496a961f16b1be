#include <signal.h>

#include "cli/app.h"

int main(int argc, char** argv) {
  // libvirt writes to its daemon's socket without MSG_NOSIGNAL and asks its
  // applications not to die of SIGPIPE: a libvirtd restarted under a deploy
  // must fail the calls (EPIPE, reported per VM), not kill the worker and the
  // parent. A handler rather than SIG_IGN: exec resets it, so the programs
  // we run (qemu-img, the appliance) keep the default.
  struct sigaction action = {};
  action.sa_handler = [](int) {};
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGPIPE, &action, nullptr);
  return cli::Main(argc, argv);
}

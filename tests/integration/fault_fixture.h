// The fault tests' fixture: the sample lab for a 2-student roster (4 VMs,
// so a kill-and-re-run costs one appliance launch), runs of `worlds` with a
// failpoint armed in the child's environment only, and checks of what
// `worlds status` says against libvirt, the disk and the SQLite file.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "integration/deploy_fixture.h"

namespace it {

inline const char *kFaultUsers[] = {"alice", "bob"};

// How one run of `worlds` ended.
struct Outcome {
  pid_t pid = 0;
  bool signaled = false; // killed by `signal`
  int signal = 0;
  int code = -1;          // exit code when not signaled
  bool timed_out = false; // killed by the test after its timeout
  std::string out, err;
  std::string Describe() const; // "exit 1", "killed by signal 9", ...
};

class FaultTest : public DeployTest {
protected:
  void SetUp() override;

  // `worlds <Global(args)>` with WORLDS_FAILPOINT=`failpoint` in its
  // environment only ("" unsets it), killed after `timeout_s`.
  Outcome RunWorlds(const std::vector<std::string> &args,
                    const std::string &failpoint, int timeout_s = 300);
  // deploy of the 2-student roster with --jobs `jobs`.
  Outcome DeployWith(const std::string &failpoint, int jobs = 1);

  // Waits (up to 30 s) until no worker of `parent` and no appliance over
  // this test's files runs any more; fails the test naming what outlived
  // the kill.
  void ExpectNoLeftovers(pid_t parent);

  // `worlds status --json` compared with virsh and the files: each VM's
  // phase is what libvirt and the disk say, every lab domain is listed,
  // nothing outside the lab's expected names exists. Returns the rows as
  // "owner-vm=phase(recorded)" for the log.
  std::string ExpectStatusTruthful(const std::string &step);
  // PRAGMA integrity_check is "ok" and no foreign key is dangling.
  void ExpectStoreIntact(const std::string &step);
  // The full 4-VM deployment, exactly: domains, networks, overlays (and no
  // other file), `clean` everywhere, status all ready.
  void ExpectConverged();

  std::set<std::string> SmallDomains() const;
  std::set<std::string> Networks();
  std::set<std::string> SmallNetworks() const;
  bool HasClean(const std::string &domain);
  std::string DomState(const std::string &domain);
  // Concatenated worker logs of every deploy so far.
  std::string WorkerLogs() const;
};

// Pids of processes whose argv[0]'s basename is `name`.
std::vector<pid_t> ProcessesNamed(const std::string &name);
// The NUL-separated argv of `pid` with spaces ("" when gone).
std::string CommandLine(pid_t pid);
// The parent of `pid` (/proc/PID/stat), or -1 when it is gone.
pid_t ParentOf(pid_t pid);

} // namespace it

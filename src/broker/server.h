// `worlds broker`: the privileged daemon. Listens on a Unix socket, learns
// each caller's uid from SO_PEERCRED, and runs the protocol of protocol.h
// for them against one shared Hypervisor and the state database, refusing
// what identity.h refuses and recording every request as an events row.
// Start, shutdown, power off and revert are deploy::VmActions, the same
// code (with the same World lock and events row) as the admin's commands.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "broker/console_sessions.h"
#include "broker/identity.h"
#include "broker/lab_rules.h"
#include "capacity/budget.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace broker {

struct ServerOptions {
  std::string socket_path;  // its parent is created (0755) when missing
  mode_t socket_mode = 0666;  // who may connect; identity never comes from it
  int max_clients = 256;      // beyond: one "busy" reply, then close
  int idle_timeout_ms = 5 * 60 * 1000;  // between requests (not in a console)
  IdentityResolver resolve;   // SystemIdentity(...) outside tests
  // Where the World locks are (deploy/lock.h): VM actions are refused while
  // a deploy or destroy of their World runs.
  std::string state_dir = "/var/lib/worlds";
  // The admission rule every start passes (deploy::Admission).
  capacity::Policy capacity;
  // How often the labs' schedules and idle rules are checked (lab_rules.h);
  // 0: never (tests that count every hypervisor call).
  int rules_interval_ms = 15 * 1000;
  // Connects to the lab host of a World by its name (deploy::LabHosts),
  // for Worlds that do not live on the connect host; empty: every World
  // lives there (no inventory).
  std::function<std::unique_ptr<virt::Hypervisor>(const std::string& host)> connect_host;
};

// One mutex per VM: actions on one VM (start, stop, revert, console) are
// serialized, actions on different VMs run side by side, and `list` takes
// none, so it never waits behind a slow start or revert. Entries are made
// for VMs the store knows only and never removed (a few per student).
class VmLocks {
 public:
  std::unique_lock<std::mutex> Lock(const std::string& domain);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;
};

// Shared by all connections: one Hypervisor, safe to call from every
// connection's thread (virt/hypervisor.h), with a lock per VM, and one
// Store under its mutex (a single-threaded object), and the options.
struct Backend {
  ServerOptions options;
  virt::Hypervisor* hypervisor = nullptr;
  // Where `list` and the lab rules read the host's domains: a connection of
  // its own, because libvirtd serves each connection only a few calls at a
  // time (max_client_requests, 5) and a class's starts would queue a list
  // behind them.
  virt::Hypervisor* reader = nullptr;
  VmLocks vm_locks;
  ConsoleSessions consoles;
  LabRules* rules = nullptr;  // the Server's, for the notes list shows
  store::Store* store = nullptr;
  std::mutex store_mu;

  // The connection for VMs of Worlds on `host` ("": `hypervisor`): one per
  // lab host, made when a VM there is first asked for and kept, shared by
  // every connection's thread as `hypervisor` is. Throws core::Error naming
  // the host when it cannot be reached (the next call tries again); while
  // one host is being connected to, the others are served.
  virt::Hypervisor& HypervisorOf(const std::string& host);
  // Where to read `host`'s domains: `reader` for "", else HypervisorOf.
  virt::Hypervisor& ReaderOf(const std::string& host);

 private:
  struct HostConnection {
    std::mutex mu;  // held while it is being made
    std::unique_ptr<virt::Hypervisor> connection;
  };
  std::mutex hosts_mu_;  // guards the map, never held while connecting
  std::map<std::string, std::unique_ptr<HostConnection>> hosts_;
};

class Server {
 public:
  // `hypervisor`, `store` and `reader` must outlive the Server; without a
  // `reader`, `hypervisor` is read too.
  Server(ServerOptions options, virt::Hypervisor& hypervisor, store::Store& store,
         virt::Hypervisor* reader = nullptr);
  // Stops, waits for every connection to end, removes the socket file
  // Listen() made.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the socket (replacing a stale socket file, refusing to replace
  // anything else) and starts listening. Throws core::Error naming the path.
  void Listen();
  // Instead of Listen(): serves on `fd`, a socket someone else made and
  // already listens on (systemd's, broker/activation.h). Takes the fd; the
  // socket file is theirs: never replaced, re-moded or removed here.
  void Adopt(int fd);
  // Accepts and serves connections, each on its own thread, until Stop().
  // Returns once the socket is closed (and removed, if Listen() made it) and
  // every connection has ended.
  void Serve();
  // Asks Serve to return. Async-signal-safe and callable from any thread.
  void Stop();

 private:
  void RemoveSocket();
  void ConnectionThread(int fd);

  // The lab rules' thread: a pass every rules_interval_ms until Stop.
  void RulesThread();

  Backend backend_;
  LabRules rules_{backend_};
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // self-pipe: Stop writes, Serve polls
  bool socket_created_ = false;

  std::mutex clients_mu_;
  std::condition_variable clients_cv_;
  std::set<int> client_fds_;  // shut down by Stop so their threads end
};

}  // namespace broker

// `worlds broker`: runs the privileged daemon (src/broker/server.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "broker/activation.h"
#include "broker/identity.h"
#include "broker/server.h"
#include "broker_client/client.h"
#include "cli/command.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/env.h"
#include "deploy/lab_hosts.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace cli {
namespace {

struct BrokerOptions {
  std::string socket;       // empty: the broker-socket setting
  std::string socket_mode = "0666";
  std::string admin_group;  // empty: the admin-group setting
  std::string pid_file = "/run/worlds/broker.pid";
  bool foreground = false;
  bool allow_non_root = false;
  int check_every = 15;  // seconds between passes of the lab rules
};

// The server Stop() is called on from the signal handler.
std::atomic<broker::Server*> g_server{nullptr};

void OnSignal(int) {
  if (broker::Server* server = g_server.load()) server->Stop();
}

mode_t ParseMode(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  unsigned long mode = std::strtoul(text.c_str(), &end, 8);
  if (text.empty() || *end != '\0' || errno != 0 || mode > 07777) {
    throw core::Error("--socket-mode '" + text + "' is not an octal mode", "",
                      "e.g. --socket-mode 0660");
  }
  return static_cast<mode_t>(mode);
}

// The usual daemon steps: no controlling terminal, no cwd held, output to a
// log in the state dir so errors of a detached broker are still found.
void Detach(const std::string& log_path) {
  pid_t pid = ::fork();
  if (pid < 0) throw core::Error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid > 0) ::_exit(0);
  ::setsid();
  pid = ::fork();  // not a session leader: can never get a terminal back
  if (pid < 0) ::_exit(1);
  if (pid > 0) ::_exit(0);
  if (::chdir("/") < 0) ::_exit(1);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) log_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  ::close(null_fd);
  ::close(log_fd);
}

void WritePidFile(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::trunc);
  out << ::getpid() << "\n";
  if (!out.flush()) throw core::Error("cannot write the pid file", path);
}

int RunBroker(const Globals& globals, BrokerOptions options) {
  if (options.socket.empty()) options.socket = globals.settings["broker-socket"];
  if (options.admin_group.empty()) options.admin_group = globals.settings["admin-group"];
  if (::geteuid() != 0 && !options.allow_non_root) {
    throw core::Error("`worlds broker` must run as root (it holds the libvirt connection "
                      "and reads who calls from the socket)",
                      "", "run it as root; --allow-non-root is for tests only");
  }
  broker::ServerOptions server_options;
  server_options.socket_path = options.socket;
  server_options.socket_mode = ParseMode(options.socket_mode);
  server_options.resolve = broker::SystemIdentity(options.admin_group);
  const deploy::Context& context = globals.context;
  server_options.state_dir = context.state_dir;
  server_options.capacity = context.capacity.budget;
  server_options.rules_interval_ms = options.check_every * 1000;
  // Worlds on the inventory's lab hosts: each host's libvirt, by name, as
  // the inventory has it when the broker first needs that host.
  deploy::Env env = deploy::RealEnv(context);
  server_options.connect_host = [&context, &env](const std::string& host) {
    std::unique_ptr<store::Store> inventory =
        store::Store::Open(core::StateDbPath(context.state_dir));
    return deploy::LabHosts(context, env, inventory->Hosts()).Connect(host);
  };
  // Opened before detaching, so a broken setup fails in the admin's face.
  std::unique_ptr<store::Store> store =
      store::Store::Open(core::StateDbPath(context.state_dir));
  std::unique_ptr<virt::Hypervisor> hypervisor = virt::NewLibvirtHypervisor(context.connect);
  // Networks libvirt autostarted at boot were never guarded by a deploy.
  int guarded = hypervisor->GuardNetworks(core::kObjectPrefix);
  std::unique_ptr<virt::Hypervisor> reader = virt::NewLibvirtHypervisor(context.connect);
  broker::Server server(server_options, *hypervisor, *store, reader.get());
  // Under systemd the socket unit made the socket (its path, owner and mode
  // are the unit's); elsewhere the broker makes its own.
  std::optional<int> inherited = broker::TakeSystemdSocket(options.socket);
  if (inherited) {
    server.Adopt(*inherited);
  } else {
    server.Listen();
  }

  ::signal(SIGPIPE, SIG_IGN);
  // Without systemd, the broker daemonizes itself. A socket from systemd
  // means systemd supervises it: forking away would look like an exit.
  bool foreground = options.foreground || inherited;
  if (!foreground) Detach((std::filesystem::path(context.state_dir) / "broker.log").string());
  bool pid_file = !foreground || options.pid_file != BrokerOptions().pid_file;
  if (pid_file) WritePidFile(options.pid_file);
  g_server.store(&server);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::cerr << "worlds broker: listening on " << options.socket << " ("
            << (inherited ? "socket inherited from systemd" : "socket created") << "; libvirt "
            << context.connect << ", state " << context.state_dir << ", pid " << ::getpid()
            << "; " << guarded << " World bridge(s) guarded)" << std::endl;
  server.Serve();
  g_server.store(nullptr);
  if (pid_file) ::unlink(options.pid_file.c_str());
  std::cerr << "worlds broker: stopped" << std::endl;
  return kExitOk;
}

}  // namespace

void AddBrokerCommand(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* cmd = app.add_subcommand(
      "broker", "Run the privileged daemon students' menus talk to (as root)");
  auto options = std::make_shared<BrokerOptions>();
  cmd->add_option("--socket", options->socket,
                  "Unix socket to listen on (default: broker-socket in worlds.conf, "
                  "/run/worlds/broker.sock; under systemd: the one worlds-broker.socket "
                  "made, which must be at this path)");
  cmd->add_option("--socket-mode", options->socket_mode,
                  "octal mode of the socket (who may connect; identity comes from the "
                  "socket, not from this); unused when systemd made the socket")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) {
            try {
              ParseMode(text);
              return std::string();
            } catch (const core::Error& e) {
              return e.Describe();
            }
          },
          "OCTAL"));
  cmd->add_option("--admin-group", options->admin_group,
                  "Unix group whose members may act on every VM (default: admin-group in "
                  "worlds.conf, worlds-admin)");
  cmd->add_option("--pid-file", options->pid_file, "where to write the daemon's pid")
      ->capture_default_str();
  cmd->add_option("--check-every", options->check_every,
                  "seconds between checks of the labs' schedules and idle VMs")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_flag("--foreground", options->foreground,
                "stay attached, log to stderr (no pid file unless --pid-file is given); "
                "implied when systemd passes the socket");
  cmd->add_flag("--allow-non-root", options->allow_non_root,
                "run without root (tests and development only)");
  commands.emplace_back(cmd, [&globals, options] { return RunBroker(globals, *options); });
}

}  // namespace cli

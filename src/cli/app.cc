#include "cli/app.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/doctor.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "core/names.h"
#include "core/version.h"
#include "deploy/host_disks.h"
#include "deploy/worker.h"
#include "menu/shell.h"

namespace cli {

namespace {

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "worlds";
}

std::string UserName(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

// The global options as the command line gave them (empty: not given).
struct GlobalFlags {
  std::string config, state_dir, image_dir, connect, accel;
};

// Settings from defaults, the config file and the environment, then the
// flags the command line gave (a subcommand's --jobs included), into the
// context the commands run with.
void ApplySettings(const GlobalFlags& flags, Globals& globals) {
  settings::Settings& s = globals.settings;
  s = settings::Settings::Load(flags.config, settings::ProcessEnvironment());
  if (!flags.state_dir.empty()) s.SetFlag("state-dir", flags.state_dir);
  if (!flags.image_dir.empty()) s.SetFlag("image-dir", flags.image_dir);
  if (!flags.connect.empty()) s.SetFlag("connect", flags.connect);
  if (!flags.accel.empty()) s.SetFlag("accel", flags.accel);
  deploy::Context& context = globals.context;
  if (context.jobs > 0) s.SetFlag("jobs", std::to_string(context.jobs));
  context.state_dir = s["state-dir"];
  context.image_dir = s["image-dir"];
  context.connect = s["connect"];
  context.jobs = std::stoi(s["jobs"]);
  context.capacity = settings::CapacityPlanPolicy(s);
  context.cpu_partitions = s["cpu-partitions"] == "world";
  globals.accel = s["accel"];
}

// Fills in what depends on the parsed options and on who runs us.
void Resolve(Globals& globals) {
  deploy::Context& context = globals.context;
  context.accel = globals.accel.empty() ? AccelDefault(context.state_dir) : globals.accel;
  // The appliance follows the acceleration setting unless the environment
  // says otherwise. Either way the values go in each worker's batch, since
  // a worker on a lab host, started over SSH, does not get our environment.
  const char* backend = std::getenv("LIBGUESTFS_BACKEND");
  const char* backend_settings = std::getenv("LIBGUESTFS_BACKEND_SETTINGS");
  context.guestfs_backend = backend ? backend : "direct";
  if (backend_settings) {
    context.guestfs_settings = backend_settings;
  } else if (context.accel == "qemu") {
    context.guestfs_settings = "force_tcg";
  }
  context.tty = ::isatty(STDOUT_FILENO);
  context.worker_exe = SelfExe();
  context.uid = ::getuid();
  context.actor = UserName(::getuid());
}

}  // namespace

std::unique_ptr<store::Store> OpenExistingState(const Globals& globals) {
  const std::string path = core::StateDbPath(globals.context.state_dir);
  return store::Store::Open(std::filesystem::exists(path) ? path : ":memory:");
}

const char* Version() { return core::Version(); }

int Main(int argc, char** argv) {
  // Hidden: `worlds __worker PARENT_PID`, started by deploy's executor, or
  // `worlds __worker ssh` on a lab host, started over SSH.
  if (argc == 3 && std::string(argv[1]) == "__worker") {
    if (std::string(argv[2]) == "ssh") return deploy::WorkerMain(deploy::kOverSsh);
    int parent = std::atoi(argv[2]);
    return parent > 0 ? deploy::WorkerMain(parent) : 1;
  }
  // Hidden, on a lab host over SSH: a deploy's disk requests
  // (deploy/host_disks.h), and a base image arriving.
  if (argc == 2 && std::string(argv[1]) == "__disks") return deploy::DisksServerMain();
  if ((argc == 4 || (argc == 5 && std::string(argv[4]) == "writable")) &&
      std::string(argv[1]) == "__receive") {
    return deploy::ReceiveFileMain(argv[2], argv[3], argc == 5);
  }
  if (argc == 3 && std::string(argv[1]) == "__send") return deploy::SendFileMain(argv[2]);
  // A student's login shell (a link named worlds-menu): the menu, nothing else.
  if (argc > 0 && menu::IsMenuShell(argv[0])) {
    std::string socket;
    try {
      socket = settings::Settings::Load("", settings::ProcessEnvironment())["broker-socket"];
    } catch (const core::Error& e) {
      std::cerr << "worlds-menu: " << e.Describe() << "\nTell the lab's admin." << std::endl;
      return kExitEnvironment;
    }
    return menu::ShellMain(argc, argv, socket);
  }

  CLI::App app{"Worlds: deploy virtual computer labs, one isolated World per student."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("worlds ") + Version(),
                       "Print the version and exit");

  Globals globals;
  globals.context.jobs = 0;  // 0: no --jobs given; the settings decide
  GlobalFlags flags;
  app.add_option("--config", flags.config,
                 std::string("settings file (env ") + settings::kConfigEnv + "; default " +
                     settings::kDefaultConfigFile + ")");
  app.add_option("--state-dir", flags.state_dir,
                 "state.db, images/ and overlays (env WORLDS_STATE_DIR; default "
                 "/var/lib/worlds)");
  app.add_option("--image-dir", flags.image_dir,
                 "where lab images are found (env WORLDS_IMAGE_DIR; default: "
                 "<state-dir>/images)");
  app.add_option("--connect", flags.connect,
                 "libvirt URI (env WORLDS_CONNECT; default qemu:///system)");
  app.add_option("--accel", flags.accel,
                 "kvm or qemu (TCG) (env WORLDS_ACCEL); default: what `worlds doctor` found "
                 "working")
      ->check(CLI::IsMember({"kvm", "qemu"}));

  Commands commands;
  AddLabCommands(app, globals, commands);
  AddImageCommands(app, globals, commands);
  AddDeployCommands(app, globals, commands);
  AddDoctorCommand(app, globals, commands);
  AddUsersCommands(app, globals, commands);
  AddAdminCommands(app, globals, commands);
  AddHostCommands(app, globals, commands);
  AddBrokerCommand(app, globals, commands);
  AddMenuCommand(app, globals, commands);
  AddConfigCommand(app, globals, commands);
  AddTopCommand(app, globals, commands);
  AddHookCommands(app, globals, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }

  try {
    ApplySettings(flags, globals);
    Resolve(globals);
    for (auto& [command, run] : commands) {
      if (command->parsed()) return run();
    }
  } catch (const core::InputError& e) {
    std::cout << std::flush;
    std::cerr << "worlds: " << e.Describe() << "\n";
    return kExitBadInput;
  } catch (const core::Error& e) {
    // Not the input's fault: the host, libvirt, the state dir, a lock.
    std::cout << std::flush;
    std::cerr << "worlds: " << e.Describe() << "\n";
    return kExitEnvironment;
  } catch (const std::exception& e) {
    std::cerr << "worlds: unexpected error: " << e.what() << "\n";
    return kExitFailed;
  }
  std::cerr << app.help();
  return kExitBadInput;
}

}  // namespace cli

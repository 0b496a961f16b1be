#include "cli/app.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/doctor.h"
#include "cli/exit_status.h"
#include "core/error.h"
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

int DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

const char* EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// Fills in what depends on the parsed options and on who runs us.
void Resolve(Globals& globals) {
  deploy::Context& context = globals.context;
  context.accel = globals.accel.empty() ? AccelDefault(context.state_dir) : globals.accel;
  // The appliance follows the acceleration setting unless the environment
  // says otherwise (libguestfs reads LIBGUESTFS_BACKEND* itself).
  if (!std::getenv("LIBGUESTFS_BACKEND")) context.guestfs_backend = "direct";
  if (!std::getenv("LIBGUESTFS_BACKEND_SETTINGS") && context.accel == "qemu") {
    context.guestfs_settings = "force_tcg";
  }
  context.tty = ::isatty(STDOUT_FILENO);
  context.worker_exe = SelfExe();
  context.uid = ::getuid();
  context.actor = UserName(::getuid());
}

}  // namespace

const char* Version() { return WORLDS_VERSION; }

int Main(int argc, char** argv) {
  // Hidden: `worlds __worker PARENT_PID`, started by deploy's executor.
  if (argc == 3 && std::string(argv[1]) == "__worker") {
    return deploy::WorkerMain(std::atoi(argv[2]));
  }
  // A student's login shell (a link named worlds-menu): the menu, nothing else.
  if (argc > 0 && menu::IsMenuShell(argv[0])) return menu::ShellMain(argc, argv);

  CLI::App app{"Worlds: deploy virtual computer labs, one isolated World per student."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("worlds ") + Version(),
                       "Print the version and exit");

  Globals globals;
  deploy::Context& context = globals.context;
  context.state_dir = EnvOr("WORLDS_STATE_DIR", "/var/lib/worlds");
  context.connect = EnvOr("WORLDS_CONNECT", "qemu:///system");
  context.jobs = DefaultJobs();
  app.add_option("--state-dir", context.state_dir,
                 "state.db, images/ and overlays (env WORLDS_STATE_DIR)")
      ->capture_default_str();
  app.add_option("--image-dir", context.image_dir,
                 "where lab images are found (default: <state-dir>/images)");
  app.add_option("--connect", context.connect, "libvirt URI (env WORLDS_CONNECT)")
      ->capture_default_str();
  app.add_option("--accel", globals.accel,
                 "kvm or qemu (TCG); default: what `worlds doctor` found working")
      ->check(CLI::IsMember({"kvm", "qemu"}));

  Commands commands;
  AddLabCommands(app, globals, commands);
  AddImageCommands(app, globals, commands);
  AddDeployCommands(app, globals, commands);
  AddDoctorCommand(app, globals, commands);
  AddUsersCommands(app, globals, commands);
  AddAdminCommands(app, globals, commands);
  AddBrokerCommand(app, globals, commands);
  AddMenuCommand(app, globals, commands);
  AddHookCommands(app, globals, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  Resolve(globals);

  try {
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

#include "cli/app.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/doctor.h"
#include "cli/exit_status.h"
#include "config/lab_parser.h"
#include "config/roster_parser.h"
#include "core/error.h"
#include "deploy/operations.h"
#include "deploy/worker.h"

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

int ValidateLab(const deploy::Context& context, const std::string& path) {
  config::LabParseResult parsed = config::ParseLabFile(path, context.ImageDir());
  for (const config::Diagnostic& d : parsed.errors) std::cerr << d.ToString() << "\n";
  if (!parsed.errors.empty()) {
    std::cerr << parsed.errors.size() << " error(s) in " << path << "\n";
    return kExitBadInput;
  }
  const core::Lab& lab = *parsed.lab;
  std::cout << path << ": ok: lab '" << lab.name << "', " << lab.vms.size()
            << " VM(s), " << lab.networks.size() << " network(s), "
            << lab.images.size() << " image(s)\n";
  return kExitOk;
}

int ValidateRoster(const std::string& path) {
  config::RosterParseResult parsed = config::ParseRosterFile(path);
  for (const config::Diagnostic& d : parsed.errors) std::cerr << d.ToString() << "\n";
  if (!parsed.errors.empty()) {
    std::cerr << parsed.errors.size() << " error(s) in " << path << "\n";
    return kExitBadInput;
  }
  std::set<std::string> groups;
  for (const core::Student& s : parsed.roster->students) groups.insert(s.group);
  std::cout << path << ": ok: " << parsed.roster->students.size() << " student(s) in "
            << groups.size() << " group(s)\n";
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  // Hidden: `worlds __worker PARENT_PID`, started by deploy's executor.
  if (argc == 3 && std::string(argv[1]) == "__worker") {
    return deploy::WorkerMain(std::atoi(argv[2]));
  }

  CLI::App app{"Worlds: deploy virtual computer labs, one isolated World per student."};
  app.require_subcommand(1);
  app.fallthrough();

  deploy::Context context;
  context.state_dir = EnvOr("WORLDS_STATE_DIR", "/var/lib/worlds");
  context.connect = EnvOr("WORLDS_CONNECT", "qemu:///system");
  context.jobs = DefaultJobs();
  std::string accel;
  app.add_option("--state-dir", context.state_dir,
                 "state.db, images/ and overlays (env WORLDS_STATE_DIR)")
      ->capture_default_str();
  app.add_option("--image-dir", context.image_dir,
                 "where lab images are found (default: <state-dir>/images)");
  app.add_option("--connect", context.connect, "libvirt URI (env WORLDS_CONNECT)")
      ->capture_default_str();
  app.add_option("--accel", accel,
                 "kvm or qemu (TCG); default: what `worlds doctor` found working")
      ->check(CLI::IsMember({"kvm", "qemu"}));

  CLI::App* lab_cmd = app.add_subcommand("lab", "Lab definitions");
  lab_cmd->require_subcommand(1);
  CLI::App* lab_validate = lab_cmd->add_subcommand("validate", "Check a lab file; print every error");
  std::string lab_file;
  lab_validate->add_option("lab", lab_file, "labs/NAME.yaml")->required();

  CLI::App* roster_cmd = app.add_subcommand("roster", "Rosters");
  roster_cmd->require_subcommand(1);
  CLI::App* roster_validate = roster_cmd->add_subcommand("validate", "Check a roster CSV");
  std::string roster_file;
  roster_validate->add_option("roster", roster_file, "roster.csv")->required();

  CLI::App* deploy_cmd = app.add_subcommand("deploy", "Deploy a lab to a roster");
  deploy::DeployRequest deploy_request;
  std::string per = "student";
  deploy_cmd->add_option("lab", deploy_request.lab_file, "labs/NAME.yaml")->required();
  deploy_cmd->add_option("--roster", deploy_request.roster_file, "roster CSV")->required();
  deploy_cmd->add_option("--group", deploy_request.group, "only this roster group");
  deploy_cmd->add_option("--per", per, "one World per student or per group")
      ->check(CLI::IsMember({"student", "group"}))
      ->capture_default_str();
  deploy_cmd->add_option("--jobs,-j", context.jobs, "worker processes (default: cores)")
      ->check(CLI::Range(1, 256));
  deploy_cmd->add_flag("--dry-run", deploy_request.dry_run, "print the plan, change nothing");

  CLI::App* status_cmd = app.add_subcommand("status", "What is deployed, and its state");
  deploy::StatusRequest status_request;
  status_cmd->add_option("--lab", status_request.lab, "only this lab");
  status_cmd->add_option("--owner", status_request.owner, "only this owner");
  status_cmd->add_flag("--json", status_request.json, "machine-readable output");

  CLI::App* destroy_cmd = app.add_subcommand("destroy", "Remove a lab's Worlds");
  deploy::DestroyRequest destroy_request;
  destroy_cmd->add_option("lab", destroy_request.lab_file, "labs/NAME.yaml or the lab's name")
      ->required();
  destroy_cmd->add_option("--owner", destroy_request.owner, "only this owner's World");
  destroy_cmd->add_flag("--delete-student-data", destroy_request.delete_student_data,
                        "also delete the overlays (the students' work)");

  CLI::App* doctor_cmd = app.add_subcommand("doctor", "Check that this host can deploy");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }

  context.accel = accel.empty() ? AccelDefault(context.state_dir) : accel;
  context.tty = ::isatty(STDOUT_FILENO);
  context.worker_exe = SelfExe();
  context.uid = ::getuid();
  context.actor = UserName(::getuid());
  deploy_request.per = per == "group" ? config::WorldsPer::kGroup : config::WorldsPer::kStudent;

  try {
    if (*lab_validate) return ValidateLab(context, lab_file);
    if (*roster_validate) return ValidateRoster(roster_file);
    if (*deploy_cmd) {
      return deploy::Deploy(context, deploy_request, std::cout) ? kExitOk : kExitFailed;
    }
    if (*status_cmd) {
      deploy::Status(context, status_request, std::cout);
      return kExitOk;
    }
    if (*destroy_cmd) {
      deploy::Destroy(context, destroy_request, std::cout);
      return kExitOk;
    }
    if (*doctor_cmd) {
      return RunDoctor({context.connect, context.state_dir, context.ImageDir()}, std::cout);
    }
  } catch (const core::Error& e) {
    std::cout << std::flush;
    std::cerr << "worlds: " << e.Describe() << "\n";
    // Bad input names its place; the rest is the host's or the state's.
    return e.message().find(" error(s) in ") != std::string::npos ? kExitBadInput
                                                                   : kExitEnvironment;
  } catch (const std::exception& e) {
    std::cerr << "worlds: unexpected error: " << e.what() << "\n";
    return kExitFailed;
  }
  return kExitBadInput;
}

}  // namespace cli

// `worlds deploy`, `worlds status` and `worlds destroy`.
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/exit_status.h"
#include "cli/status_output.h"
#include "deploy/env.h"

namespace cli {

void AddDeployCommands(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* deploy_cmd = app.add_subcommand("deploy", "Deploy a lab to a roster");
  auto request = std::make_shared<deploy::DeployRequest>();
  auto per = std::make_shared<std::string>("student");
  deploy_cmd->add_option("lab", request->lab_file, "labs/NAME.yaml")->required();
  deploy_cmd->add_option("--roster", request->roster_file, "roster CSV")->required();
  deploy_cmd->add_option("--group", request->group, "only this roster group");
  deploy_cmd->add_option("--per", *per, "one World per student or per group")
      ->check(CLI::IsMember({"student", "group"}))
      ->capture_default_str();
  deploy_cmd->add_option("--jobs,-j", globals.context.jobs, "worker processes (default: cores)")
      ->check(CLI::Range(1, 256));
  deploy_cmd->add_flag("--dry-run", request->dry_run, "print the plan, change nothing");
  deploy_cmd->add_flag("--delete-student-data", request->delete_student_data,
                       "also remove VMs the lab no longer has when students used them");
  deploy_cmd->add_option("--report", request->report_file,
                         "write a JSON report (phases, launches, memory, disk) to this file");
  commands.emplace_back(deploy_cmd, [&globals, request, per] {
    request->per = *per == "group" ? config::WorldsPer::kGroup : config::WorldsPer::kStudent;
    return deploy::Deploy(globals.context, deploy::RealEnv(globals.context), *request,
                          std::cout) ? kExitOk : kExitFailed;
  });

  CLI::App* status_cmd = app.add_subcommand("status", "What is deployed, and its state");
  auto status = std::make_shared<deploy::StatusRequest>();
  status_cmd->add_option("--lab", status->lab, "only this lab");
  status_cmd->add_option("--owner", status->owner, "only this owner");
  auto json = std::make_shared<bool>(false);
  status_cmd->add_flag("--json", *json, "machine-readable output");
  commands.emplace_back(status_cmd, [&globals, status, json] {
    deploy::StatusReport report =
        deploy::Status(globals.context, deploy::RealEnv(globals.context), *status);
    std::cout << (*json ? FormatStatusJson(report) : FormatStatusTable(report, *status));
    return kExitOk;
  });

  CLI::App* destroy_cmd = app.add_subcommand("destroy", "Remove a lab's Worlds");
  auto destroy = std::make_shared<deploy::DestroyRequest>();
  destroy_cmd->add_option("lab", destroy->lab_file, "labs/NAME.yaml or the lab's name")
      ->required();
  destroy_cmd->add_option("--owner", destroy->owner, "only this owner's World");
  destroy_cmd->add_flag("--delete-student-data", destroy->delete_student_data,
                        "also delete the overlays (the students' work)");
  commands.emplace_back(destroy_cmd, [&globals, destroy] {
    deploy::Destroy(globals.context, deploy::RealEnv(globals.context), *destroy, std::cout);
    return kExitOk;
  });
}

}  // namespace cli

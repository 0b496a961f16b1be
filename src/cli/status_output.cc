#include "cli/status_output.h"

#include <iomanip>
#include <set>
#include <sstream>

#include "cli/table.h"

#include <nlohmann/json.hpp>

namespace cli {

namespace {

// "lan=10.20.0.1/24 dmz=..." from a recorded identity: the names the guest
// gives its NICs; "" when none is recorded.
std::string NicNames(const std::string& identity) {
  nlohmann::json doc = nlohmann::json::parse(identity, nullptr, /*allow_exceptions=*/false);
  std::string out;
  if (!doc.is_object() || !doc.contains("nics") || !doc["nics"].is_array()) return out;
  for (const nlohmann::json& nic : doc["nics"]) {
    out += (out.empty() ? "" : " ") + nic.value("name", "?") + "=" + nic.value("address", "?");
  }
  return out;
}

}  // namespace

std::string FormatStatusJson(const deploy::StatusReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const deploy::VmStatus& vm : report.vms) {
    rows.push_back({{"lab", vm.lab},
                    {"owner", vm.owner},
                    {"vm", vm.vm},
                    {"domain", vm.domain},
                    {"overlay", vm.overlay},
                    {"phase", vm.phase},
                    {"recorded_phase", vm.recorded},
                    {"state", vm.state},
                    {"host", vm.host},
                    // machine-id and SSH host keys made for it at deploy time
                    {"identity", vm.identity.empty()
                                     ? nlohmann::json(nullptr)
                                     : nlohmann::json::parse(vm.identity, nullptr, false)}});
  }
  return rows.dump(2) + "\n";
}

std::string FormatStatusTable(const deploy::StatusReport& report,
                              const deploy::StatusRequest& request) {
  std::ostringstream out;
  if (!report.no_libvirt.empty()) out << "note: " << report.no_libvirt << "\n";
  for (const auto& [host, why] : report.unreachable_hosts) out << "note: " << why << "\n";
  // Worlds on lab hosts of an inventory: a HOST column says where each is.
  bool hosts = false;
  for (const deploy::VmStatus& vm : report.vms) hosts = hosts || !vm.host.empty();
  if (report.vms.empty()) {
    out << "No Worlds deployed" << (request.lab ? " for lab '" + *request.lab + "'" : "")
        << (request.owner ? " for '" + *request.owner + "'" : "") << ".\n";
    return out.str();
  }
  out << std::left << std::setw(12) << "LAB" << std::setw(14) << "OWNER"
      << std::setw(10) << "VM" << std::setw(14) << "PHASE" << std::setw(10)
      << "STATE" << std::setw(32) << "DOMAIN";
  if (hosts) out << std::setw(10) << "HOST";
  out << "NICS\n";
  std::set<std::string> fixes;
  for (const deploy::VmStatus& vm : report.vms) {
    out << std::left << std::setw(12) << vm.lab << std::setw(14) << vm.owner
        << std::setw(10) << vm.vm << std::setw(14) << vm.phase << std::setw(10)
        << vm.state << std::setw(32) << vm.domain;
    if (hosts) out << std::setw(10) << (vm.host.empty() ? "-" : vm.host);
    out << NicNames(vm.identity) << "\n";
    if (!vm.fix.empty()) fixes.insert(vm.phase + ": " + vm.fix);
  }
  for (const std::string& fix : fixes) out << "  " << fix << "\n";
  return out.str();
}

namespace {

std::string TopMib(int64_t mib) { return std::to_string(mib) + " MiB"; }

}  // namespace

std::string FormatTop(const deploy::HostView& view, const std::string& consoles_note) {
  std::ostringstream out;
  out << "Host: " << view.host.cpus << " CPUs, " << TopMib(view.host.memory_mib) << " RAM ("
      << TopMib(view.host.free_mib) << " free); memory budget " << view.budget << "\n";
  out << "Committed: " << view.committed.memory_mib << " of " << TopMib(view.budget_mib) << " ("
      << view.committed.running << " VM(s) running, " << view.committed.vcpus
      << " vCPU(s) on " << view.host.cpus << " CPUs), of which "
      << TopMib(view.others.memory_mib) << " in " << view.others.running
      << " domain(s) Worlds did not deploy\n\n";
  if (view.labs.empty()) {
    out << "No Worlds deployed.\n";
  } else {
    Table table({"LAB", "WORLDS", "VMS", "RUNNING", "MEMORY", "VCPUS", "ON A CONSOLE"});
    for (const deploy::LabView& lab : view.labs) {
      std::string consoles;
      for (const std::string& c : lab.consoles) consoles += (consoles.empty() ? "" : ", ") + c;
      if (!view.consoles_known) consoles = "?";
      table.AddRow({lab.lab, std::to_string(lab.worlds), std::to_string(lab.vms),
                    std::to_string(lab.running), TopMib(lab.memory_mib), std::to_string(lab.vcpus),
                    consoles.empty() ? "-" : consoles});
    }
    table.Print(out);
  }
  if (!consoles_note.empty()) out << "\n" << consoles_note << "\n";
  return out.str();
}

std::string FormatTopJson(const deploy::HostView& view) {
  nlohmann::json labs = nlohmann::json::array();
  for (const deploy::LabView& lab : view.labs) {
    labs.push_back({{"lab", lab.lab},
                    {"worlds", lab.worlds},
                    {"vms", lab.vms},
                    {"running", lab.running},
                    {"memory_mib", lab.memory_mib},
                    {"vcpus", lab.vcpus},
                    {"consoles", view.consoles_known ? nlohmann::json(lab.consoles)
                                                     : nlohmann::json(nullptr)}});
  }
  nlohmann::json out = {
      {"host", {{"cpus", view.host.cpus},
                {"memory_mib", view.host.memory_mib},
                {"free_mib", view.host.free_mib}}},
      {"budget_mib", view.budget_mib},
      {"budget", view.budget},
      {"committed", {{"memory_mib", view.committed.memory_mib},
                     {"vcpus", view.committed.vcpus},
                     {"running", view.committed.running}}},
      {"others", {{"memory_mib", view.others.memory_mib}, {"running", view.others.running}}},
      {"labs", labs}};
  return out.dump(2) + "\n";
}

}  // namespace cli

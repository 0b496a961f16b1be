#include "capacity/plan_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace capacity {
namespace {

// A plain decimal number ("25", "2.5"), nothing else; nullopt otherwise.
std::optional<double> Number(const std::string& text) {
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || text.front() == '.' || text.back() == '.') {
    return std::nullopt;
  }
  return value;
}

std::optional<double> Percent(const std::string& text) {
  if (text.empty() || text.back() != '%') return std::nullopt;
  return Number(text.substr(0, text.size() - 1));
}

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string Mib(int64_t mib) { return std::to_string(mib) + " MiB"; }

std::string Bytes(uint64_t bytes) { return DescribeBytes(bytes); }

std::string PercentText(double percent) {
  return Fixed(percent, percent == std::floor(percent) ? 0 : 1) + "%";
}

// Display width: UTF-8 continuation bytes take no column ("×").
size_t Width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

// Columns as wide as their widest cell, two spaces apart, each line
// indented by two; the last column is not padded.
std::string Columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - Width(row[i]) + 1, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// The sum of `value` over the `count` Worlds where it is largest.
int64_t LargestWorlds(const std::vector<std::vector<VmDemand>>& worlds, int count,
                      const std::function<int64_t(const VmDemand&)>& value) {
  std::vector<int64_t> sums;
  for (const auto& world : worlds) {
    int64_t sum = 0;
    for (const VmDemand& vm : world) sum += value(vm);
    sums.push_back(sum);
  }
  std::sort(sums.rbegin(), sums.rend());
  int64_t total = 0;
  for (int i = 0; i < count && i < static_cast<int>(sums.size()); ++i) total += sums[i];
  return total;
}

}  // namespace

std::string ParseExpectedRunning(const std::string& text, PlanPolicy* policy) {
  std::optional<double> percent = Percent(text);
  if (!percent || *percent <= 0 || *percent > 100) {
    return "is not a share of the lab's Worlds from 1% to 100% (e.g. 100%, 60%)";
  }
  policy->expected_percent = *percent;
  return "";
}

std::string ParseCapacityCheck(const std::string& text, PlanPolicy* policy) {
  if (text != "refuse" && text != "warn") return "is neither refuse nor warn";
  policy->refuse = text == "refuse";
  return "";
}

std::string ParseOverlayGrowth(const std::string& text, PlanPolicy* policy) {
  if (std::optional<double> percent = Percent(text)) {
    if (*percent < 0 || *percent > 1000) {
      return "is not a percentage of the base image's virtual size from 0% to 1000%";
    }
    policy->growth_percent = *percent;
    policy->growth_mib = 0;
    return "";
  }
  std::optional<double> mib = Number(text);
  if (!mib || *mib != std::floor(*mib) || *mib > 1e9) {
    return "is neither a percentage of the base image's virtual size (25%) nor a whole "
           "number of MiB per VM (2048)";
  }
  policy->growth_mib = static_cast<int64_t>(*mib);
  policy->growth_percent = 0;
  return "";
}

bool Fit::Refused() const {
  if (!refuse) return false;
  for (const Shortfall& s : shortfalls) {
    if (s.refusable) return true;
  }
  return false;
}

int ExpectedWorlds(int worlds, double expected_percent) {
  // A share of a World is a whole World: students run their own.
  int expected = static_cast<int>(std::ceil(worlds * expected_percent / 100 - 1e-9));
  return worlds > 0 && expected < 1 ? 1 : expected;
}

uint64_t GrowthBytes(const PlanPolicy& policy, const VmDemand& vm) {
  uint64_t budget = policy.growth_mib > 0
                        ? static_cast<uint64_t>(policy.growth_mib) * 1024 * 1024
                        : static_cast<uint64_t>(static_cast<double>(vm.base_virtual_bytes) *
                                                policy.growth_percent / 100);
  return budget > vm.overlay_bytes ? budget - vm.overlay_bytes : 0;
}

std::string DescribeBytes(uint64_t bytes) {
  double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib >= 10240) return Fixed(mib / 1024, 1) + " GiB";
  return Fixed(mib, mib < 100 ? 1 : 0) + " MiB";
}

Fit FitPlan(const PlanPolicy& policy, const LabDemand& lab, const HostSupply& supply) {
  Fit fit;
  fit.refuse = policy.refuse;
  fit.state_dir = supply.state_dir;
  fit.worlds = static_cast<int>(lab.worlds.size());
  fit.expected_percent = policy.expected_percent;
  fit.expected_worlds = ExpectedWorlds(fit.worlds, policy.expected_percent);

  std::set<std::string> ours = lab.leaving;
  fit.growth_rule = policy.growth_mib > 0
                        ? Mib(policy.growth_mib) + " per VM"
                        : PercentText(policy.growth_percent) + " of the base's virtual size";
  for (const auto& world : lab.worlds) {
    for (const VmDemand& vm : world) {
      ++fit.vms;
      ours.insert(vm.domain);
      fit.lab_all_mib += vm.memory_mib;
      fit.lab_all_vcpus += vm.vcpus;
      fit.overlay_bytes += vm.overlay_bytes;
      fit.growth_bytes += GrowthBytes(policy, vm);
    }
  }
  fit.base_bytes = lab.base_bytes;
  fit.lab_expected_mib = LargestWorlds(lab.worlds, fit.expected_worlds,
                                       [](const VmDemand& vm) { return vm.memory_mib; });
  fit.lab_expected_vcpus = static_cast<int>(LargestWorlds(
      lab.worlds, fit.expected_worlds, [](const VmDemand& vm) { return vm.vcpus; }));

  std::vector<virt::DomainUsage> others;
  for (const virt::DomainUsage& d : supply.domains) {
    if (!ours.count(d.name)) others.push_back(d);
  }
  Committed committed = Sum(others);
  fit.others_mib = committed.memory_mib;
  fit.others_vcpus = committed.vcpus;
  fit.others_running = committed.running;

  std::string running = std::to_string(fit.expected_worlds) + " of " +
                        std::to_string(fit.worlds) + " World(s) running (expected-running " +
                        PercentText(policy.expected_percent) + ")";
  if (supply.host) {
    fit.budget_mib = BudgetMib(policy.budget, *supply.host);
    fit.budget_text = DescribeBudget(policy.budget, *supply.host);
    fit.host_cpus = supply.host->cpus;
    int64_t total = fit.lab_expected_mib + fit.others_mib;
    if (total > *fit.budget_mib) {
      fit.shortfalls.push_back(
          {"memory",
           "memory: " + running + " need " + Mib(fit.lab_expected_mib) + ", other domains hold " +
               Mib(fit.others_mib) + ": " + Mib(total) + " of a budget of " +
               Mib(*fit.budget_mib) + ", short by " + Mib(total - *fit.budget_mib) + " (" +
               fit.budget_text + ")",
           true});
    }
    int vcpus = fit.lab_expected_vcpus + fit.others_vcpus;
    if (fit.host_cpus > 0 && vcpus > *fit.host_cpus) {
      fit.shortfalls.push_back(
          {"vCPUs",
           "vCPUs: " + running + " have " + std::to_string(fit.lab_expected_vcpus) +
               ", other domains " + std::to_string(fit.others_vcpus) + ": " +
               std::to_string(vcpus) + " on " + std::to_string(*fit.host_cpus) +
               " host CPUs (" + Fixed(static_cast<double>(vcpus) / *fit.host_cpus, 1) +
               "×); vCPUs are time-shared, so the guests run slower when all are busy",
           false});
    }
  }
  fit.free_bytes = supply.state_free_bytes;
  if (fit.free_bytes && fit.growth_bytes > *fit.free_bytes) {
    fit.shortfalls.push_back(
        {"disk",
         "disk: the overlays may grow by " + Bytes(fit.growth_bytes) + " (overlay-growth " +
             fit.growth_rule + "), " + supply.state_dir + " has " + Bytes(*fit.free_bytes) +
             " free, short by " + Bytes(fit.growth_bytes - *fit.free_bytes),
         true});
  }
  return fit;
}

std::string DescribeFit(const Fit& fit) {
  std::string out = "Capacity (" + std::to_string(fit.worlds) + " World(s), " +
                    std::to_string(fit.vms) + " VM(s); expected-running " +
                    PercentText(fit.expected_percent) + " = " +
                    std::to_string(fit.expected_worlds) + " World(s); capacity-check " +
                    (fit.refuse ? "refuse" : "warn") + "):\n";
  std::vector<std::vector<std::string>> rows = {
      {"", "lab", "other domains now", "total", "host", ""}};
  std::string others_mem =
      Mib(fit.others_mib) + " (" + std::to_string(fit.others_running) + " running)";
  auto memory_row = [&](const std::string& label, int64_t lab_mib) {
    int64_t total = lab_mib + fit.others_mib;
    std::string host = "host not read", verdict;
    if (fit.budget_mib) {
      host = "budget " + Mib(*fit.budget_mib);
      verdict = total <= *fit.budget_mib ? "fits" : "over by " + Mib(total - *fit.budget_mib);
    }
    rows.push_back({label, Mib(lab_mib), others_mem, Mib(total), host, verdict});
  };
  memory_row("memory, all " + std::to_string(fit.worlds) + " World(s) running", fit.lab_all_mib);
  if (fit.expected_worlds < fit.worlds) {
    memory_row("memory, " + std::to_string(fit.expected_worlds) + " running (expected)",
               fit.lab_expected_mib);
  }
  {
    int total = fit.lab_expected_vcpus + fit.others_vcpus;
    std::string host = "host not read", verdict;
    if (fit.host_cpus && *fit.host_cpus > 0) {
      host = std::to_string(*fit.host_cpus) + " CPUs";
      verdict = Fixed(static_cast<double>(total) / *fit.host_cpus, 1) + "×" +
                (total > *fit.host_cpus ? " (time-shared: warning only)" : "");
    }
    rows.push_back({"vCPUs, " + std::to_string(fit.expected_worlds) + " World(s) running",
                    std::to_string(fit.lab_expected_vcpus), std::to_string(fit.others_vcpus),
                    std::to_string(total), host, verdict});
  }
  rows.push_back({"disk now: bases + overlays", Bytes(fit.base_bytes + fit.overlay_bytes),
                  "", "", "", ""});
  {
    std::string host = "free not known", verdict;
    if (fit.free_bytes) {
      host = Bytes(*fit.free_bytes) + " free";
      verdict = fit.growth_bytes <= *fit.free_bytes
                    ? "fits"
                    : "short by " + Bytes(fit.growth_bytes - *fit.free_bytes);
    }
    rows.push_back({"overlay growth budget", Bytes(fit.growth_bytes), "", "", host, verdict});
  }
  out += Columns(rows);
  if (!fit.budget_text.empty()) out += "  memory budget: " + fit.budget_text + "\n";
  out += "  overlay growth: " + fit.growth_rule + ", less what each overlay holds now; free: " +
         fit.state_dir + "\n";
  for (const Shortfall& s : fit.shortfalls) {
    out += std::string(fit.refuse && s.refusable ? "refused: " : "warning: ") + s.message +
           "\n";
  }
  return out;
}

std::string DescribeFitShort(const Fit& fit) {
  std::string out = "  capacity: memory " + Mib(fit.lab_expected_mib + fit.others_mib);
  if (fit.budget_mib) out += " of " + Mib(*fit.budget_mib) + " budget";
  out += " with " + std::to_string(fit.expected_worlds) + " of " + std::to_string(fit.worlds) +
         " World(s) running";
  if (fit.host_cpus && *fit.host_cpus > 0) {
    out += ", vCPUs " +
           Fixed(static_cast<double>(fit.lab_expected_vcpus + fit.others_vcpus) /
                     *fit.host_cpus, 1) +
           "× the host's " + std::to_string(*fit.host_cpus);
  }
  out += "; overlays " + Bytes(fit.overlay_bytes) + ", may grow by " + Bytes(fit.growth_bytes);
  if (fit.free_bytes) out += " of " + Bytes(*fit.free_bytes) + " free";
  out += "\n";
  for (const Shortfall& s : fit.shortfalls) out += "  warning: " + s.message + "\n";
  return out;
}

std::string RefusalFix() {
  return "deploy fewer Worlds (--group), give the lab's VMs less memory, raise memory-budget "
         "or memory-overcommit, lower expected-running or overlay-growth, free space in the "
         "state dir, or set capacity-check = warn (worlds.conf, or WORLDS_CAPACITY_CHECK=warn) "
         "to deploy anyway";
}

}  // namespace capacity

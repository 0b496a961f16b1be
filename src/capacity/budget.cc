#include "capacity/budget.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace capacity {
namespace {

// A whole or decimal number, nothing else ("1.5", "90"); nullopt otherwise.
std::optional<double> Number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos ||
      text.front() == '.' || text.back() == '.' ||
      text.find('.') != text.rfind('.')) {
    return std::nullopt;
  }
  return std::strtod(text.c_str(), nullptr);
}

std::string Format(double value) {
  std::ostringstream out;
  out.precision(3);
  out << value;
  return out.str();
}

}  // namespace

std::string ParseMemoryBudget(const std::string& text, Policy* policy) {
  if (!text.empty() && text.back() == '%') {
    std::optional<double> percent = Number(text.substr(0, text.size() - 1));
    if (!percent || *percent <= 0 || *percent > 100) {
      return "is not a percentage of the host's RAM from 1% to 100% (e.g. 90%)";
    }
    policy->percent = *percent;
    policy->fixed_mib = 0;
    return "";
  }
  std::optional<double> mib = Number(text);
  if (!mib || *mib < 1 || *mib != std::floor(*mib) || *mib > 1e9) {
    return "is neither a percentage of the host's RAM (90%) nor a whole number of MiB (20480)";
  }
  policy->fixed_mib = static_cast<int64_t>(*mib);
  return "";
}

std::string ParseOvercommit(const std::string& text, Policy* policy) {
  std::optional<double> ratio = Number(text);
  if (!ratio || *ratio < 0.1 || *ratio > 10) {
    return "is not a ratio from 0.1 to 10 (1.0: no overcommit; 1.5 with KSM)";
  }
  policy->overcommit = *ratio;
  return "";
}

std::string ParseMaxRunning(const std::string& text, Policy* policy) {
  bool digits = !text.empty() && text.size() <= 4 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) return "is not a whole number of VMs (0: no limit)";
  policy->max_running_per_owner = std::stoi(text);
  return "";
}

int64_t BudgetMib(const Policy& policy, const virt::HostInfo& host) {
  double base = policy.fixed_mib > 0 ? static_cast<double>(policy.fixed_mib)
                                     : static_cast<double>(host.memory_mib) * policy.percent / 100;
  return static_cast<int64_t>(std::floor(base * policy.overcommit));
}

std::string DescribeBudget(const Policy& policy, const virt::HostInfo& host) {
  std::string base = policy.fixed_mib > 0
                         ? std::to_string(policy.fixed_mib) + " MiB"
                         : Format(policy.percent) + "% of " + std::to_string(host.memory_mib) +
                               " MiB RAM";
  return base + " × overcommit " + Format(policy.overcommit) + " = " +
         std::to_string(BudgetMib(policy, host)) + " MiB";
}

Committed Sum(const std::vector<virt::DomainUsage>& domains) {
  Committed sum;
  for (const virt::DomainUsage& d : domains) {
    if (d.state == virt::DomainState::kShutOff) continue;
    sum.memory_mib += d.memory_mib;
    sum.vcpus += d.vcpus;
    ++sum.running;
  }
  return sum;
}

std::optional<Refusal> Admit(const Policy& policy, const virt::HostInfo& host,
                             const std::vector<virt::DomainUsage>& domains,
                             const virt::DomainUsage& vm, int owner_running) {
  if (policy.max_running_per_owner > 0 && owner_running >= policy.max_running_per_owner) {
    return Refusal{"per-student",
                   "you have " + std::to_string(owner_running) + " VM(s) running, the most " +
                       "one student may run at once (" +
                       std::to_string(policy.max_running_per_owner) +
                       "); stop one of them first"};
  }
  int64_t budget = BudgetMib(policy, host);
  int64_t used = 0;
  for (const virt::DomainUsage& d : domains) {
    if (d.name == vm.name || d.state == virt::DomainState::kShutOff) continue;
    used += d.memory_mib;
  }
  int64_t free = budget > used ? budget - used : 0;
  if (vm.memory_mib > free) {
    return Refusal{"memory", "the lab host is full: " + std::to_string(vm.memory_mib) +
                                 " MiB needed, " + std::to_string(free) +
                                 " MiB free; try again later or ask your instructor"};
  }
  return std::nullopt;
}

}  // namespace capacity

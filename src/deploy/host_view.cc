#include "deploy/host_view.h"

#include <set>

namespace deploy {

HostView BuildHostView(const std::vector<store::VmRecord>& vms,
                       const std::vector<virt::DomainUsage>& domains,
                       const virt::HostInfo& host, const capacity::Policy& policy,
                       const std::optional<std::map<std::string, std::string>>& consoles) {
  HostView view;
  view.host = host;
  view.budget_mib = capacity::BudgetMib(policy, host);
  view.budget = capacity::DescribeBudget(policy, host);
  view.committed = capacity::Sum(domains);
  view.consoles_known = consoles.has_value();

  std::map<std::string, const virt::DomainUsage*> by_name;
  for (const virt::DomainUsage& d : domains) by_name[d.name] = &d;
  std::map<std::string, LabView> labs;
  std::map<std::string, std::set<std::string>> owners;
  std::set<std::string> ours;
  for (const store::VmRecord& vm : vms) {
    ours.insert(vm.domain);
    LabView& lab = labs[vm.lab];
    lab.lab = vm.lab;
    ++lab.vms;
    owners[vm.lab].insert(vm.owner);
    auto found = by_name.find(vm.domain);
    if (found != by_name.end() && found->second->state != virt::DomainState::kShutOff) {
      ++lab.running;
      lab.memory_mib += found->second->memory_mib;
      lab.vcpus += found->second->vcpus;
    }
    if (consoles) {
      auto user = consoles->find(vm.domain);
      if (user != consoles->end()) {
        lab.consoles.push_back(user->second + " on " + vm.vm + " (" + vm.owner + ")");
      }
    }
  }
  std::vector<virt::DomainUsage> others;
  for (const virt::DomainUsage& d : domains) {
    if (!ours.count(d.name)) others.push_back(d);
  }
  view.others = capacity::Sum(others);
  for (auto& [name, lab] : labs) {
    lab.worlds = static_cast<int>(owners[name].size());
    view.labs.push_back(std::move(lab));
  }
  return view;
}

}  // namespace deploy

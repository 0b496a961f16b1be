#include "guest/changes.h"

#include "guest/operations.h"

namespace guest {

void GuestChanges::Write(const std::string& path, const std::string& content, int mode) {
  for (FileChange& f : files) {
    if (f.path == path) {  // a later operation refines an earlier one's file
      f = {path, content, mode, false};
      return;
    }
  }
  files.push_back({path, content, mode, false});
}

void GuestChanges::Link(const std::string& path, const std::string& target) {
  files.push_back({path, target, 0777, true});
}

void GuestChanges::Remove(const std::string& path) { remove.push_back(path); }

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> kOperations = {
      HostnameOperation(),    HostsOperation(),     NetworkOperation(),   MachineIdOperation(),
      SshHostKeysOperation(), CloudInitOperation(), FirstBootOperation(), SelinuxRelabelOperation(),
  };
  return kOperations;
}

GuestChanges PlanChanges(const GuestEdit& edit) {
  GuestChanges changes;
  for (const Operation& op : Operations()) {
    if (!op.applies(edit.os)) continue;
    op.plan(edit, changes);
    changes.operations.push_back(op.name);
  }
  // A file written anew (a host key of the base's type) is never removed.
  std::vector<std::string> remove;
  for (const std::string& path : changes.remove) {
    bool written = false;
    for (const FileChange& f : changes.files) written = written || f.path == path;
    if (!written) remove.push_back(path);
  }
  changes.remove = remove;
  return changes;
}

}  // namespace guest

// What customization does to one clone, as data: the files to put in (all
// unpacked in one appliance call) and the base's files to remove. Made on
// the host by a list of small operations, each chosen from what inspection
// found (virt-sysprep's operations), so every byte is unit-testable and
// the appliance does only I/O.
#pragma once

#include <string>
#include <vector>

#include "guest/customizer.h"

namespace guest {

struct FileChange {
  std::string path;     // absolute, in the guest
  std::string content;  // the file's bytes; for a symlink, its target
  int mode = 0644;
  bool symlink = false;
};

struct GuestChanges {
  std::vector<FileChange> files;        // owned by root, with `mode`
  std::vector<std::string> remove;      // removed after the files are in
  std::vector<std::string> operations;  // names of the operations that applied

  void Write(const std::string& path, const std::string& content, int mode = 0644);
  void Link(const std::string& path, const std::string& target);
  void Remove(const std::string& path);
};

// One thing done to a clone. `applies` decides from the inspection alone,
// so `worlds image inspect` can say what a deploy will do.
struct Operation {
  const char* name;
  const char* description;
  bool (*applies)(const OsInfo& os);
  void (*plan)(const GuestEdit& edit, GuestChanges& changes);
};

// Every operation, in the order they run.
const std::vector<Operation>& Operations();

// The changes for one clone: every operation that applies to edit.os.
// Throws core::Error when the edit cannot be rendered (a bad prefix).
GuestChanges PlanChanges(const GuestEdit& edit);

// Where the first-boot block logs its output inside the guest.
inline constexpr const char* kFirstBootLog = "/var/log/worlds-first-boot.log";

}  // namespace guest

#include "fakes/fake_customizer.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace fakes {

std::string MarkerText(const guest::GuestEdit& edit) {
  std::string text = "hostname " + edit.hostname + "\n";
  for (const auto& nic : edit.nics) {
    text += "nic " + nic.interface + " " + nic.address + "/" +
            std::to_string(nic.prefix) + "\n";
  }
  for (const auto& command : edit.commands) text += "command " + command + "\n";
  return text;
}

void FakeCustomizer::FailDisk(const std::string& disk_path, const std::string& message) {
  if (message.empty()) {
    failing_disks_.erase(disk_path);
  } else {
    failing_disks_[disk_path] = message;
  }
}

void FakeCustomizer::FailLaunch(const std::string& message) { launch_failure_ = message; }

std::vector<guest::EditResult> FakeCustomizer::Apply(
    const std::vector<guest::GuestEdit>& edits) {
  calls_.push_back(edits);
  std::vector<guest::EditResult> results;
  if (edits.empty()) return results;
  ++launches_;
  if (!launch_failure_.empty()) {
    throw core::Error(launch_failure_);
  }
  for (const auto& edit : edits) {
    guest::EditResult result;
    result.disk_path = edit.disk_path;
    auto failing = failing_disks_.find(edit.disk_path);
    if (failing != failing_disks_.end()) {
      result.error = failing->second;
    } else if (write_markers_) {
      const std::string marker = edit.disk_path + ".customized";
      std::ofstream out(marker, std::ios::trunc);
      out << MarkerText(edit);
      out.close();
      if (out.fail()) {
        result.error = "cannot write " + marker + ": " + std::strerror(errno);
      } else {
        result.ok = true;
      }
    } else {
      result.ok = true;
    }
    if (result.ok) applied_.push_back(edit);
    results.push_back(result);
  }
  return results;
}

}  // namespace fakes

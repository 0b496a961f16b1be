// An in-memory guest::Customizer for unit tests of callers (deploy, cli):
// records what it was asked, can fail one disk or the whole launch, and can
// leave a marker file beside each disk it "customized".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "guest/customizer.h"

namespace fakes {

class FakeCustomizer : public guest::Customizer {
 public:
  // Each Apply call's edits, in call order (empty and failed calls included).
  const std::vector<std::vector<guest::GuestEdit>>& calls() const { return calls_; }

  // Every edit that succeeded so far, in order.
  const std::vector<guest::GuestEdit>& applied() const { return applied_; }

  // Later Apply calls report `disk_path` as failed with `message`; an empty
  // `message` makes it succeed again.
  void FailDisk(const std::string& disk_path, const std::string& message);

  // Later non-empty Apply calls throw core::Error(message) after counting
  // the launch, as the real one does when the appliance does not boot.
  // An empty `message` turns the failure off again.
  void FailLaunch(const std::string& message);

  // When on, each successful edit writes `disk_path + ".customized"` holding
  // the hostname and commands, so engine tests can look at the filesystem.
  // A marker that cannot be written fails that disk, with the path named.
  void WriteMarkers(bool on) { write_markers_ = on; }

  // Records `edits`; one launch per non-empty call.
  std::vector<guest::EditResult> Apply(const std::vector<guest::GuestEdit>& edits) override;
  int launches() const override { return launches_; }

 private:
  std::vector<std::vector<guest::GuestEdit>> calls_;
  std::vector<guest::GuestEdit> applied_;
  std::map<std::string, std::string> failing_disks_;
  std::string launch_failure_;
  bool write_markers_ = false;
  int launches_ = 0;
};

// The marker text WriteMarkers() leaves for `edit`.
std::string MarkerText(const guest::GuestEdit& edit);

}  // namespace fakes

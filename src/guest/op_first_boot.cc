// The lab's commands in a first-boot block of rc.local that runs once, after
// the network is up, logs to the guest and its console, and removes itself;
// plus what keeps a guest's own first-boot machinery from undoing our work.
#include "guest/operations.h"
#include "guest/render.h"

namespace guest {

namespace {

constexpr const char kUnitHeader[] =
    "# Written by Worlds: runs the lab's first-boot block in rc.local once the\n"
    "# lab network is up, and shows its output on the console.\n";

std::string RcLocalDropIn() {
  return std::string(kUnitHeader) +
         "[Unit]\nWants=network-online.target\nAfter=network-online.target\n\n"
         "[Service]\nStandardOutput=journal+console\nStandardError=journal+console\n";
}

std::string FirstBootUnit(const std::string& rc_local) {
  return std::string(kUnitHeader) + "[Unit]\nDescription=Worlds first-boot block in " + rc_local +
         "\nConditionFileIsExecutable=" + rc_local +
         "\nWants=network-online.target\nAfter=network-online.target\n\n"
         "[Service]\nType=oneshot\nExecStart=" +
         rc_local +
         "\nRemainAfterExit=yes\nStandardOutput=journal+console\n"
         "StandardError=journal+console\n\n[Install]\nWantedBy=multi-user.target\n";
}

void Plan(const GuestEdit& edit, GuestChanges& changes) {
  const OsInfo& os = edit.os;
  auto base = os.files.find(os.rc_local);
  changes.Write(
      os.rc_local,
      RenderRcLocal(base == os.files.end() ? "" : base->second, edit.commands, os.rc_local), 0755);
  if (os.first_boot_runner == "rc-local-generator") {
    changes.Write("/etc/systemd/system/rc-local.service.d/worlds.conf", RcLocalDropIn());
  } else if (os.first_boot_runner == "worlds-unit") {
    const std::string unit = "/etc/systemd/system/worlds-first-boot.service";
    changes.Write(unit, FirstBootUnit(os.rc_local));
    changes.Link("/etc/systemd/system/multi-user.target.wants/worlds-first-boot.service", unit);
  }
}

}  // namespace

Operation FirstBootOperation() {
  return {"first-boot",
          "the lab's commands in a self-removing block of rc.local, run once after "
          "network-online.target, logged to /var/log/worlds-first-boot.log and the console",
          [](const OsInfo&) { return true; }, Plan};
}

Operation CloudInitOperation() {
  return {"cloud-init",
          "cloud-init disabled: no metadata server answers in an isolated World, and it "
          "would rewrite the network and the SSH host keys",
          [](const OsInfo& os) { return os.cloud_init; },
          [](const GuestEdit&, GuestChanges& changes) {
            changes.Write("/etc/cloud/cloud-init.disabled",
                          "# Written by Worlds: the lab configures this VM offline.\n");
          }};
}

Operation SelinuxRelabelOperation() {
  return {"selinux-relabel", "/.autorelabel: SELinux labels the files Worlds wrote at first boot",
          [](const OsInfo& os) { return os.selinux; },
          [](const GuestEdit&, GuestChanges& changes) { changes.Write("/.autorelabel", ""); }};
}

}  // namespace guest

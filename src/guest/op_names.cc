// Names inside a World: the VM's own hostname, and every VM of the World
// by hostname and lab VM name in /etc/hosts, so `ping client` works as the
// lab sheet says.
#include "guest/operations.h"
#include "guest/render.h"

namespace guest {

namespace {

bool Always(const OsInfo&) { return true; }

std::string BaseText(const GuestEdit& edit, const std::string& path) {
  auto it = edit.os.files.find(path);
  return it == edit.os.files.end() ? "" : it->second;
}

}  // namespace

Operation HostnameOperation() {
  return {"hostname", "/etc/hostname: the VM's hostname from the lab", Always,
          [](const GuestEdit& edit, GuestChanges& changes) {
            if (!edit.hostname.empty()) changes.Write("/etc/hostname", edit.hostname + "\n");
          }};
}

Operation HostsOperation() {
  return {"hosts", "/etc/hosts: 127.0.1.1 for the hostname, and every VM of the World", Always,
          [](const GuestEdit& edit, GuestChanges& changes) {
            std::string text = BaseText(edit, "/etc/hosts");
            if (!edit.hostname.empty()) text = RenderHosts(text, edit.hostname);
            changes.Write("/etc/hosts", RenderWorldHosts(text, edit.hosts));
          }};
}

}  // namespace guest

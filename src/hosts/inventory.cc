#include "hosts/inventory.h"

#include <set>
#include <vector>

#include "core/error.h"
#include "core/names.h"

namespace hosts {
namespace {

constexpr const char kUriRule[] =
    "a libvirt URI of the QEMU driver's system instance: qemu:///system here, or "
    "qemu+ssh://root@HOST/system (qemu+tls, qemu+libssh, qemu+libssh2 too) for another host";

[[noreturn]] void Refuse(const std::string& field, const std::string& message,
                         const std::string& fix) {
  throw core::InputError(message, field, fix);
}

struct UriParts {
  std::string scheme;     // "qemu+ssh"
  std::string authority;  // "root@lab2:22", "" for this machine
  std::string path;       // "/system"
};

// scheme://authority/path[?query]: libvirt's own form (virURIParse), of
// which only these parts matter here.
bool SplitUri(const std::string& uri, UriParts* parts) {
  std::string::size_type sep = uri.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  parts->scheme = uri.substr(0, sep);
  std::string rest = uri.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::string::size_type slash = rest.find('/');
  if (slash == std::string::npos) return false;
  parts->authority = rest.substr(0, slash);
  parts->path = rest.substr(slash);
  return true;
}

void Record(store::Store& store, const Actor& actor, const std::string& action,
            const std::string& target, const std::string& detail) {
  store::Event event;
  event.uid = actor.uid;
  event.actor = actor.name;
  event.action = action;
  event.target = target;
  event.result = "ok";
  event.detail = detail;
  store.AddEvent(event);
}

}  // namespace

bool IsLocalUri(const std::string& uri) {
  UriParts parts;
  return SplitUri(uri, &parts) && parts.authority.empty();
}

void CheckHost(const store::HostRecord& host) {
  if (!core::IsValidName(host.name)) {
    Refuse("host name", "'" + host.name + "' is not a valid host name", core::kNameRule);
  }
  UriParts uri;
  if (!SplitUri(host.uri, &uri)) {
    Refuse("uri", "'" + host.uri + "' is not a libvirt URI", kUriRule);
  }
  static const std::set<std::string> kRemote = {"qemu+ssh", "qemu+libssh", "qemu+libssh2",
                                                "qemu+tls"};
  if (uri.scheme == "qemu+tcp") {
    Refuse("uri", "'" + host.uri + "' would reach libvirtd unencrypted and, without SASL, "
                  "unauthenticated",
           "use qemu+ssh:// (or qemu+tls://)");
  }
  bool local = uri.scheme == "qemu" || uri.scheme == "qemu+unix";
  if (!local && !kRemote.count(uri.scheme)) {
    Refuse("uri", "'" + host.uri + "' is not a URI of libvirt's QEMU driver", kUriRule);
  }
  if (local && !uri.authority.empty()) {
    Refuse("uri", "'" + host.uri + "' names a host but " + uri.scheme +
                      ":// reaches only this machine's libvirtd",
           "use qemu+ssh://" + uri.authority + uri.path);
  }
  if (!local && (uri.authority.empty() || uri.authority.back() == '@')) {
    Refuse("uri", "'" + host.uri + "' names no host", "e.g. " + uri.scheme + "://root@lab2/system");
  }
  if (uri.path != "/system") {
    Refuse("uri", "'" + host.uri + "' is not libvirt's system instance (path " + uri.path + ")",
           "end it in /system: Worlds' networks, bridges and cgroups are root's");
  }
  const std::string& dir = host.storage_dir;
  bool absolute = !dir.empty() && dir[0] == '/';
  bool dotted = false;
  for (std::string::size_type at = 0; absolute && at < dir.size();) {
    std::string::size_type next = dir.find('/', at + 1);
    std::string part = dir.substr(at + 1, next == std::string::npos ? next : next - at - 1);
    if (part == "." || part == "..") dotted = true;
    at = next == std::string::npos ? dir.size() : next;
  }
  if (!absolute || dotted) {
    Refuse("storage dir", "'" + dir + "' is not an absolute path without . or .. parts",
           std::string("e.g. ") + kDefaultStorageDir);
  }
  if (host.memory_mib && *host.memory_mib <= 0) {
    Refuse("memory", "a memory limit of " + std::to_string(*host.memory_mib) + " MiB",
           "give MiB, 1 or more, or leave it out to use what libvirt reports");
  }
  if (host.vcpus && *host.vcpus <= 0) {
    Refuse("vcpus", "a limit of " + std::to_string(*host.vcpus) + " vCPUs",
           "give 1 or more, or leave it out to use the host's CPUs");
  }
  if (host.keep_free_mib < 0) {
    Refuse("keep free", "keeping " + std::to_string(host.keep_free_mib) + " MiB free",
           "give 0 or more MiB");
  }
}

Probe ProbeHost(const std::string& uri, const Connector& connect) {
  Probe probe;
  try {
    std::unique_ptr<virt::Hypervisor> hypervisor = connect(uri);
    probe.info = hypervisor->Host();
    probe.reachable = true;
  } catch (const core::Error& e) {
    probe.error = e.Describe();
  }
  return probe;
}

// core::InputError when the inventory has no host `name`.
void Require(store::Store& store, const std::string& name) {
  if (!store.FindHost(name)) {
    throw core::InputError("no lab host named '" + name + "' in the inventory", "host name",
                           "see `worlds host list`");
  }
}

Probe AddHost(store::Store& store, const store::HostRecord& host, const Connector* connect,
              const Actor& actor) {
  CheckHost(host);
  // Before asking the host: a taken name or URI is refused at once.
  for (const store::HostRecord& other : store.Hosts()) {
    if (other.name == host.name) {
      throw core::InputError("a lab host named '" + host.name +
                                 "' is already in the inventory (" + other.uri + ")",
                             "host name", "choose another name, or remove it first");
    }
    if (other.uri == host.uri) {
      throw core::InputError("'" + host.uri + "' is already in the inventory as lab host '" +
                                 other.name + "'",
                             "uri", "one name per host");
    }
  }
  Probe probe;
  if (connect) {
    probe = ProbeHost(host.uri, *connect);
    if (!probe.reachable) {
      throw core::Error("cannot reach lab host '" + host.name + "' at " + host.uri + ": " +
                            probe.error,
                        host.uri,
                        "check that libvirtd runs there and that root's SSH key is accepted "
                        "(`virsh -c " + host.uri + " nodeinfo`), or add it with --no-check");
    }
  }
  store::HostRecord record = host;
  record.added_by = actor.name;
  store.InTransaction([&] {
    store.AddHost(record);
    Record(store, actor, "host add", host.name, host.uri);
  });
  return probe;
}

void RemoveHost(store::Store& store, const std::string& name, const Actor& actor) {
  // In the transaction: no World is placed there between the count and
  // the removal.
  store.InTransaction([&] {
    Require(store, name);
    if (int placed = store.CountWorldsOn(name)) {
      throw core::InputError("lab host '" + name + "' still holds " + std::to_string(placed) +
                                 " World(s)",
                             "host name",
                             "move them off first (`worlds host drain " + name +
                                 "`), or destroy their labs");
    }
    store.RemoveHost(name);
    Record(store, actor, "host remove", name, "");
  });
}

void SetDraining(store::Store& store, const std::string& name, bool draining,
                 const Actor& actor) {
  store.InTransaction([&] {
    Require(store, name);
    store.SetHostDraining(name, draining);
    Record(store, actor, draining ? "host drain" : "host undrain", name, "");
  });
}

}  // namespace hosts

#include "virt/libvirt_migration.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include <libvirt/virterror.h>

#include "core/error.h"
#include "virt/libvirt_handles.h"

namespace virt::internal {
namespace {

// libvirt's typed parameters, freed however the caller leaves.
class Params {
 public:
  Params() = default;
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;
  ~Params() { virTypedParamsFree(params_, count_); }

  void Add(const char* name, const std::string& value) {
    if (virTypedParamsAddString(&params_, &count_, &max_, name, value.c_str()) < 0) {
      throw Failure(std::string("cannot set migration parameter ") + name, "");
    }
  }
  virTypedParameterPtr get() const { return params_; }
  int count() const { return count_; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int max_ = 0;
};

std::string TakeString(char* raw) {
  std::string text(raw);
  free(raw);
  return text;
}

std::string DomainXml(virDomainPtr dom, unsigned flags, const std::string& name) {
  char* raw = virDomainGetXMLDesc(dom, flags);
  if (!raw) throw Failure("cannot read domain definition", name);
  return TakeString(raw);
}

struct SnapshotMetadata {
  std::string name;
  std::string xml;
  bool current = false;
};

// Every snapshot's metadata, parents first, as REDEFINE takes them back.
std::vector<SnapshotMetadata> ReadSnapshots(virDomainPtr dom, const std::string& name) {
  virDomainSnapshotPtr* raw = nullptr;
  int n = virDomainListAllSnapshots(dom, &raw, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
  if (n < 0) throw Failure("cannot list snapshots", name);
  std::vector<Snapshot> owned;
  for (int i = 0; i < n; ++i) owned.emplace_back(raw[i]);
  free(raw);
  std::vector<SnapshotMetadata> snapshots;
  for (const Snapshot& snapshot : owned) {
    SnapshotMetadata s;
    const char* snapshot_name = virDomainSnapshotGetName(snapshot.get());
    if (!snapshot_name) throw Failure("cannot read a snapshot's name", name);
    s.name = snapshot_name;
    char* xml = virDomainSnapshotGetXMLDesc(snapshot.get(), VIR_DOMAIN_SNAPSHOT_XML_SECURE);
    if (!xml) throw Failure("cannot read snapshot '" + s.name + "'", name);
    s.xml = TakeString(xml);
    s.current = virDomainSnapshotIsCurrent(snapshot.get(), 0) == 1;
    snapshots.push_back(std::move(s));
  }
  return snapshots;
}

// Registers `snapshots` (their metadata; the data is in the disk) on `dom`.
// Returns the first failure's description, "" when all were registered.
std::string Redefine(virDomainPtr dom, const std::vector<SnapshotMetadata>& snapshots,
                     const std::map<std::string, std::string>& paths, const std::string& name) {
  std::string failed;
  for (const SnapshotMetadata& s : snapshots) {
    std::string xml = paths.empty() ? s.xml : RelocateXml(s.xml, paths);
    unsigned flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    if (s.current) flags |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    Snapshot made(virDomainSnapshotCreateXML(dom, xml.c_str(), flags));
    if (!made && failed.empty()) {
      failed = Failure("cannot register snapshot '" + s.name + "'", name).Describe();
    }
  }
  return failed;
}

}  // namespace

std::string MigrateLive(virConnectPtr from, virConnectPtr to, const std::string& name,
                        const Relocation& where) {
  Domain dom(virDomainLookupByName(from, name.c_str()));
  if (!dom) throw Failure("cannot find domain", name);
  int active = virDomainIsActive(dom.get());
  if (active < 0) throw Failure("cannot query domain", name);
  if (!active) {
    throw core::Error("the domain is not running: only a running domain migrates live", name,
                      "move its disk instead");
  }
  Params params;
  params.Add(VIR_MIGRATE_PARAM_DEST_XML,
             RelocateXml(DomainXml(dom.get(), VIR_DOMAIN_XML_MIGRATABLE, name), where.paths));
  params.Add(VIR_MIGRATE_PARAM_PERSIST_XML,
             RelocateXml(DomainXml(dom.get(), VIR_DOMAIN_XML_MIGRATABLE | VIR_DOMAIN_XML_INACTIVE,
                                   name),
                         where.paths));
  if (!where.migrate_uri.empty()) params.Add(VIR_MIGRATE_PARAM_URI, where.migrate_uri);

  // libvirt migrates no domain with snapshot metadata: it goes aside.
  std::vector<SnapshotMetadata> snapshots = ReadSnapshots(dom.get(), name);
  for (const SnapshotMetadata& s : snapshots) {
    Snapshot snapshot(virDomainSnapshotLookupByName(dom.get(), s.name.c_str(), 0));
    if (!snapshot ||
        virDomainSnapshotDelete(snapshot.get(), VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY) < 0) {
      core::Error failure = Failure("cannot set snapshot '" + s.name + "' aside", name);
      Redefine(dom.get(), snapshots, {}, name);
      throw failure;
    }
  }

  // The disk's top layer only: the base is on both hosts. A busy guest is
  // slowed down until the copy catches up, rather than never finishing.
  constexpr unsigned kFlags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST |
                              VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_NON_SHARED_INC |
                              VIR_MIGRATE_AUTO_CONVERGE;
  Domain moved(virDomainMigrate3(dom.get(), to, params.get(), params.count(), kFlags));
  if (!moved) {
    core::Error failure = Failure("cannot migrate the domain", name);
    std::string lost = Redefine(dom.get(), snapshots, {}, name);
    if (!lost.empty()) {
      throw core::Error(failure.message() + "; and its snapshots are not registered again: " +
                            lost,
                        name, "shut it down and re-run `worlds deploy`: it adopts them");
    }
    throw failure;
  }
  std::string lost = Redefine(moved.get(), snapshots, where.paths, name);
  if (lost.empty()) return "";
  return lost + " (shut it down there and re-run `worlds deploy`: it adopts them)";
}

}  // namespace virt::internal

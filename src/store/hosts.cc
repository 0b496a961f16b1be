// The lab host inventory and where each World lives (db/006_hosts.sql).
#include "core/error.h"
#include "store/statement.h"
#include "store/store.h"

namespace store {
namespace {

constexpr const char kHostColumns[] =
    "SELECT name, uri, storage_dir, memory_mib, vcpus, keep_free_mib, draining, added_by, "
    "added_at FROM hosts";

HostRecord ReadHost(const Statement& row) {
  HostRecord host;
  host.name = row.Text(0);
  host.uri = row.Text(1);
  host.storage_dir = row.Text(2);
  if (!row.IsNull(3)) host.memory_mib = row.Int(3);
  if (!row.IsNull(4)) host.vcpus = row.Int(4);
  host.keep_free_mib = row.Int(5);
  host.draining = row.Int(6) != 0;
  host.added_by = row.Text(7);
  host.added_at = row.Text(8);
  return host;
}

void RequireHost(sqlite3* db, const std::string& name) {
  Statement known(db, "SELECT 1 FROM hosts WHERE name = ?1");
  if (!known.Bind(1, name).Step()) {
    throw core::Error("no lab host named '" + name + "' in the inventory", DatabasePath(db),
                      "see `worlds host list`");
  }
}

}  // namespace

void Store::AddHost(const HostRecord& host) {
  Statement(db_.get(),
            "INSERT INTO hosts (name, uri, storage_dir, memory_mib, vcpus, keep_free_mib, "
            "draining, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .Bind(1, host.name)
      .Bind(2, host.uri)
      .Bind(3, host.storage_dir)
      .Bind(4, host.memory_mib)
      .Bind(5, host.vcpus)
      .Bind(6, host.keep_free_mib)
      .Bind(7, host.draining ? 1 : 0)
      .Bind(8, host.added_by)
      .Run();
}

std::vector<HostRecord> Store::Hosts() {
  Statement query(db_.get(), (std::string(kHostColumns) + " ORDER BY name").c_str());
  std::vector<HostRecord> hosts;
  while (query.Step()) hosts.push_back(ReadHost(query));
  return hosts;
}

std::optional<HostRecord> Store::FindHost(const std::string& name) {
  Statement query(db_.get(), (std::string(kHostColumns) + " WHERE name = ?1").c_str());
  if (!query.Bind(1, name).Step()) return std::nullopt;
  return ReadHost(query);
}

void Store::RemoveHost(const std::string& name) {
  Statement(db_.get(), "DELETE FROM hosts WHERE name = ?1").Bind(1, name).Run();
  if (sqlite3_changes(db_.get()) == 0) RequireHost(db_.get(), name);
}

void Store::SetHostDraining(const std::string& name, bool draining) {
  Statement(db_.get(), "UPDATE hosts SET draining = ?2 WHERE name = ?1")
      .Bind(1, name)
      .Bind(2, draining ? 1 : 0)
      .Run();
  if (sqlite3_changes(db_.get()) == 0) RequireHost(db_.get(), name);
}

int Store::CountWorldsOn(const std::string& host) {
  Statement query(db_.get(),
                  "SELECT COUNT(*) FROM worlds WHERE (?1 = '' AND host IS NULL) OR host = ?1");
  query.Bind(1, host);
  return query.Step() ? static_cast<int>(query.Int(0)) : 0;
}

void Store::SetWorldHost(const std::string& lab, const std::string& owner,
                         const std::string& host) {
  if (!host.empty()) RequireHost(db_.get(), host);
  std::optional<std::string> value;
  if (!host.empty()) value = host;
  Statement(db_.get(), "UPDATE worlds SET host = ?3 WHERE lab = ?1 AND owner = ?2")
      .Bind(1, lab)
      .Bind(2, owner)
      .Bind(3, value)
      .Run();
  if (sqlite3_changes(db_.get()) == 0) {
    throw core::Error("no World of '" + owner + "' in lab '" + lab + "' is recorded",
                      DatabasePath(db_.get()), "deploy the lab first");
  }
}

}  // namespace store

#include "store/store.h"

#include <sqlite3.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "store/migrations.h"
#include "store/statement.h"

namespace store {
namespace {

constexpr struct {
  VmPhase phase;
  const char* text;
} kPhases[] = {
    {VmPhase::kPlanned, "planned"},       {VmPhase::kOverlay, "overlay"},
    {VmPhase::kCustomized, "customized"}, {VmPhase::kDefined, "defined"},
    {VmPhase::kReady, "ready"},
};

bool IsMemory(const std::string& path) {
  return path.empty() || path == ":memory:";
}

// Columns of a VM row joined with its World, in VmRecord order.
constexpr char kVmColumns[] =
    "SELECT w.lab, w.owner, v.name, v.domain, v.overlay, v.phase, v.updated_at, "
    "v.identity, w.host "
    "FROM vms v JOIN worlds w ON w.id = v.world_id ";

VmRecord ReadVm(const Statement& row) {
  VmRecord vm;
  vm.lab = row.Text(0);
  vm.owner = row.Text(1);
  vm.vm = row.Text(2);
  vm.domain = row.Text(3);
  vm.overlay = row.Text(4);
  // The CHECK constraint keeps phase within the known names.
  vm.phase = ParsePhase(row.Text(5)).value_or(VmPhase::kPlanned);
  vm.updated_at = row.Text(6);
  vm.identity = row.Text(7);
  vm.host = row.Text(8);
  return vm;
}

}  // namespace

const char* ToString(VmPhase phase) {
  for (const auto& entry : kPhases) {
    if (entry.phase == phase) return entry.text;
  }
  return "planned";
}

std::optional<VmPhase> ParsePhase(const std::string& text) {
  for (const auto& entry : kPhases) {
    if (text == entry.text) return entry.phase;
  }
  return std::nullopt;
}

void Store::Closer::operator()(sqlite3* db) const noexcept {
  // close_v2 never fails for a valid handle; statements are all finalized by
  // their owners before the Store goes away.
  sqlite3_close_v2(db);
}

std::unique_ptr<Store> Store::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  // The handle is allocated even when opening fails; own it either way.
  std::unique_ptr<Store> store(new Store(raw));
  if (rc != SQLITE_OK) {
    if (raw == nullptr) {
      throw core::Error("cannot open the state database: out of memory", path);
    }
    std::string message = sqlite3_errmsg(raw);
    throw core::Error("cannot open the state database: " + message, path,
                      "check that its directory exists and is writable by this user");
  }
  sqlite3* db = store->db_.get();
  sqlite3_extended_result_codes(db, 1);
  // Waits for another process's write lock instead of failing at once.
  Exec(db, "PRAGMA busy_timeout = 5000");
  Exec(db, "PRAGMA foreign_keys = ON");
  if (!IsMemory(path)) {
    Statement wal(db, "PRAGMA journal_mode = WAL");
    std::string mode = wal.Step() ? wal.Text(0) : "";
    if (mode != "wal") {
      throw core::Error("cannot switch the state database to WAL mode (got '" + mode + "')",
                        path, "put the state directory on a local filesystem");
    }
    // In WAL mode NORMAL stays consistent after any crash and loses at most
    // the last commits on a power cut; FULL's fsync per commit capped the
    // broker (one events row per request) at ~250 requests/s here.
    Exec(db, "PRAGMA synchronous = NORMAL");
  }
  ApplyMigrations(db);
  return store;
}

Store::Store(sqlite3* db) : db_(db) {}
Store::~Store() = default;

int Store::SchemaVersion() const { return UserVersion(db_.get()); }

std::vector<Store::SchemaChange> Store::SchemaHistory() const {
  Statement query(db_.get(),
                  "SELECT version, name, worlds_version, applied_at FROM schema_history "
                  "ORDER BY version");
  std::vector<SchemaChange> changes;
  while (query.Step()) {
    changes.push_back({static_cast<int>(query.Int(0)), query.Text(1), query.Text(2),
                       query.Text(3)});
  }
  return changes;
}

void Store::Begin() { Exec(db_.get(), "BEGIN IMMEDIATE"); }
void Store::Commit() {
  core::FailPoint("store-commit");
  Exec(db_.get(), "COMMIT");
}

void Store::Rollback() {
  // Called while an exception is propagating: a failed rollback must not
  // replace it, and SQLite has already rolled back when the error did.
  sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Store::UpsertLab(const std::string& name, const std::string& source_file,
                      const std::string& description) {
  Statement(db_.get(),
            "INSERT INTO labs (name, source_file, description) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (name) DO UPDATE SET source_file = excluded.source_file, "
            "description = excluded.description, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, name)
      .Bind(2, source_file)
      .Bind(3, description)
      .Run();
}

void Store::UpsertUser(const std::string& username, const std::string& full_name,
                       const std::string& group) {
  Statement(db_.get(),
            "INSERT INTO users (username, full_name, grp) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (username) DO UPDATE SET full_name = excluded.full_name, "
            "grp = excluded.grp, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, username)
      .Bind(2, full_name)
      .Bind(3, group)
      .Run();
}

void Store::UpsertWorld(const std::string& lab, const std::string& owner, int index) {
  Statement known(db_.get(), "SELECT 1 FROM labs WHERE name = ?1");
  if (!known.Bind(1, lab).Step()) {
    throw core::Error("lab '" + lab + "' is not recorded in the state database",
                      DatabasePath(db_.get()), "record the lab before its Worlds");
  }
  // An upsert, not INSERT OR REPLACE: replacing would delete the row and
  // cascade to its VMs.
  Statement(db_.get(),
            "INSERT INTO worlds (lab, owner, idx) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (lab, owner) DO UPDATE SET idx = excluded.idx")
      .Bind(1, lab)
      .Bind(2, owner)
      .Bind(3, index)
      .Run();
}

std::vector<WorldRecord> Store::Worlds(const std::optional<std::string>& lab,
                                       const std::optional<std::string>& owner) {
  Statement query(db_.get(),
                  "SELECT lab, owner, idx, created_at, host FROM worlds "
                  "WHERE (?1 IS NULL OR lab = ?1) AND (?2 IS NULL OR owner = ?2) "
                  "ORDER BY lab, idx, owner");
  query.Bind(1, lab).Bind(2, owner);
  std::vector<WorldRecord> worlds;
  while (query.Step()) {
    WorldRecord world;
    world.lab = query.Text(0);
    world.owner = query.Text(1);
    world.index = static_cast<int>(query.Int(2));
    world.created_at = query.Text(3);
    if (!query.IsNull(4)) world.host = query.Text(4);
    worlds.push_back(std::move(world));
  }
  return worlds;
}

void Store::RemoveWorld(const std::string& lab, const std::string& owner) {
  // vms rows go with it: ON DELETE CASCADE, foreign_keys is on.
  Statement(db_.get(), "DELETE FROM worlds WHERE lab = ?1 AND owner = ?2")
      .Bind(1, lab)
      .Bind(2, owner)
      .Run();
}

void Store::SetVm(const VmRecord& vm) {
  Statement world(db_.get(), "SELECT id FROM worlds WHERE lab = ?1 AND owner = ?2");
  if (!world.Bind(1, vm.lab).Bind(2, vm.owner).Step()) {
    throw core::Error("no World of '" + vm.owner + "' in lab '" + vm.lab +
                          "' is recorded for VM '" + vm.vm + "'",
                      DatabasePath(db_.get()), "record the World before its VMs");
  }
  Statement(db_.get(),
            "INSERT INTO vms (world_id, name, domain, overlay, phase) "
            "VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (world_id, name) DO UPDATE SET domain = excluded.domain, "
            "overlay = excluded.overlay, phase = excluded.phase, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, world.Int(0))
      .Bind(2, vm.vm)
      .Bind(3, vm.domain)
      .Bind(4, vm.overlay)
      .Bind(5, ToString(vm.phase))
      .Run();
}

std::optional<VmRecord> Store::FindVm(const std::string& lab, const std::string& owner,
                                      const std::string& vm) {
  Statement query(db_.get(), (std::string(kVmColumns) +
                              "WHERE w.lab = ?1 AND w.owner = ?2 AND v.name = ?3")
                                 .c_str());
  query.Bind(1, lab).Bind(2, owner).Bind(3, vm);
  if (!query.Step()) return std::nullopt;
  return ReadVm(query);
}

std::optional<VmRecord> Store::FindVmByDomain(const std::string& domain) {
  Statement query(db_.get(), (std::string(kVmColumns) + "WHERE v.domain = ?1").c_str());
  query.Bind(1, domain);
  if (!query.Step()) return std::nullopt;
  return ReadVm(query);
}

std::vector<VmRecord> Store::Vms(const std::optional<std::string>& lab,
                                 const std::optional<std::string>& owner) {
  Statement query(db_.get(),
                  (std::string(kVmColumns) +
                   "WHERE (?1 IS NULL OR w.lab = ?1) AND (?2 IS NULL OR w.owner = ?2) "
                   "ORDER BY w.lab, w.idx, w.owner, v.name")
                      .c_str());
  query.Bind(1, lab).Bind(2, owner);
  std::vector<VmRecord> vms;
  while (query.Step()) vms.push_back(ReadVm(query));
  return vms;
}

void Store::RemoveVm(const std::string& lab, const std::string& owner,
                     const std::string& vm) {
  Statement(db_.get(),
            "DELETE FROM vms WHERE name = ?3 AND world_id = "
            "(SELECT id FROM worlds WHERE lab = ?1 AND owner = ?2)")
      .Bind(1, lab)
      .Bind(2, owner)
      .Bind(3, vm)
      .Run();
}

}  // namespace store

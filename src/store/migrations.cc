#include "store/migrations.h"

#include <string>

#include "core/embedded.h"
#include "core/error.h"
#include "core/version.h"
#include "store/statement.h"

namespace store {
namespace {

// Every migration, in order; entry i is schema version i + 1. A new
// db/NNN_*.sql must be listed here too (see db/README.md).
constexpr const char* kMigrations[] = {
    "db/001_initial.sql",
    "db/002_accounts.sql",
    "db/003_inspections.sql",
    "db/004_schema_history.sql",
    "db/005_lab_policy.sql",
    "db/006_hosts.sql",
};
// From this schema version on, each applied migration is a schema_history row.
constexpr int kFirstRecordedVersion = 4;
constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);

}  // namespace

int LatestSchemaVersion() { return kMigrationCount; }

int UserVersion(sqlite3* db) {
  Statement query(db, "PRAGMA user_version");
  if (!query.Step()) return 0;
  return static_cast<int>(query.Int(0));
}

void ApplyMigrations(sqlite3* db) {
  int current = UserVersion(db);
  if (current > kMigrationCount) {
    throw core::Error("the state database has schema version " + std::to_string(current) +
                          " but this worlds knows only up to " +
                          std::to_string(kMigrationCount),
                      DatabasePath(db),
                      "upgrade worlds to the version that wrote this database");
  }
  // Checked outside a transaction first, so opening an up-to-date database
  // never takes the write lock.
  for (int version = current + 1; version <= kMigrationCount; ++version) {
    const char* name = kMigrations[version - 1];
    auto sql = core::EmbeddedFile(name);
    if (!sql) {
      throw core::Error(std::string("migration ") + name + " is not embedded in this build",
                        DatabasePath(db), "re-run cmake so db/*.sql is embedded, then rebuild");
    }
    Exec(db, "BEGIN IMMEDIATE");
    try {
      // Another process may have migrated while we waited for the lock.
      if (UserVersion(db) < version) {
        Exec(db, std::string(*sql));
        if (version >= kFirstRecordedVersion) {
          Statement record(db,
                           "INSERT INTO schema_history (version, name, worlds_version) "
                           "VALUES (?1, ?2, ?3)");
          record.Bind(1, version).Bind(2, name).Bind(3, core::Version()).Run();
        }
        // user_version cannot be a bound parameter; `version` is our own int.
        Exec(db, "PRAGMA user_version = " + std::to_string(version));
      }
      Exec(db, "COMMIT");
    } catch (...) {
      // Best effort: the failure being reported is the one thrown above.
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

}  // namespace store

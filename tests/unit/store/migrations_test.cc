#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "core/error.h"
#include "core/version.h"
#include "store/store.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace store {
namespace {

// Runs one statement on `path` behind the Store's back, returning the first
// column of the first row ("" when none).
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string result;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// Takes a database back from schema 6 to 5.
void UndoHosts(const std::string& path) {
  RawQuery(path, "ALTER TABLE worlds DROP COLUMN host");
  RawQuery(path, "DROP TABLE hosts");
}

TEST(MigrationsTest, NewMemoryDatabaseGetsTheLatestSchema) {
  auto store = Store::Open(":memory:");
  EXPECT_EQ(store->SchemaVersion(), 6);
}

TEST(MigrationsTest, NewFileDatabaseRecordsUserVersionAndUsesWal) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  {
    auto store = Store::Open(path);
    EXPECT_EQ(store->SchemaVersion(), 6);
  }
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), "6");
  EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_at'"),
            "1");
}

TEST(MigrationsTest, ReopeningDoesNotReapplyMigrations) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  {
    auto store = Store::Open(path);
    store->UpsertLab("netlab", "labs/netlab.yaml", "first");
  }
  // Re-running 001 would fail with "table labs already exists" and a fresh
  // schema would have lost the row.
  auto store = Store::Open(path);
  EXPECT_EQ(store->SchemaVersion(), 6);
  store->UpsertWorld("netlab", "alice", 1);
  EXPECT_EQ(store->Worlds("netlab", std::nullopt).size(), 1u);
}

// A database of worlds 0.1.0 (schema 3) opened by this version: its rows
// stay, migrations 4 to 6 run once and are recorded with this worlds'
// version.
TEST(MigrationsTest, AnOlderDatabaseIsMigratedAndTheMigrationRecorded) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  {
    auto store = Store::Open(path);
    store->UpsertLab("netlab", "labs/netlab.yaml", "from 0.1.0");
  }
  // Back to schema 3: undo migrations 6, 5 and 4.
  UndoHosts(path);
  RawQuery(path, "DROP TABLE lab_overrides");
  RawQuery(path, "ALTER TABLE labs DROP COLUMN policy");
  RawQuery(path, "DROP TABLE schema_history");
  RawQuery(path, "PRAGMA user_version = 3");

  auto store = Store::Open(path);
  EXPECT_EQ(store->SchemaVersion(), 6);
  EXPECT_EQ(RawQuery(path, "SELECT description FROM labs WHERE name = 'netlab'"),
            "from 0.1.0");
  std::vector<Store::SchemaChange> history = store->SchemaHistory();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].version, 4);
  EXPECT_EQ(history[0].name, "db/004_schema_history.sql");
  EXPECT_EQ(history[0].worlds_version, core::Version());
  EXPECT_FALSE(history[0].applied_at.empty());
  EXPECT_EQ(history[1].version, 5);
  store.reset();
  EXPECT_EQ(Store::Open(path)->SchemaHistory().size(), 3u);  // not re-applied
}

// A database of worlds 0.2.0 (schema 4): its labs get an empty policy
// (always open, as before) and overrides can be recorded.
TEST(MigrationsTest, Version4GainsLabPolicyAndOverrides) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  {
    auto store = Store::Open(path);
    store->UpsertLab("netlab", "labs/netlab.yaml", "from 0.2.0");
  }
  UndoHosts(path);
  RawQuery(path, "DROP TABLE lab_overrides");
  RawQuery(path, "ALTER TABLE labs DROP COLUMN policy");
  RawQuery(path, "DELETE FROM schema_history WHERE version >= 5");
  RawQuery(path, "PRAGMA user_version = 4");

  auto store = Store::Open(path);
  EXPECT_EQ(store->SchemaVersion(), 6);
  std::optional<LabRecord> lab = store->FindLab("netlab");
  ASSERT_TRUE(lab);
  EXPECT_EQ(lab->description, "from 0.2.0");
  EXPECT_EQ(lab->policy, "");
  EXPECT_FALSE(store->FindLabOverride("netlab"));
  store->SetLabOverride({"netlab", false, std::nullopt, "prof", ""});
  EXPECT_TRUE(store->FindLabOverride("netlab"));
  std::vector<Store::SchemaChange> history = store->SchemaHistory();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].version, 5);
  EXPECT_EQ(history[1].name, "db/005_lab_policy.sql");
  EXPECT_EQ(history[1].worlds_version, core::Version());
}

// A database of schema 5 (before the host inventory): its Worlds stay on
// the `connect` host (no host recorded), and hosts can be added.
TEST(MigrationsTest, Version5GainsTheHostInventory) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  {
    auto store = Store::Open(path);
    store->UpsertLab("netlab", "labs/netlab.yaml", "from schema 5");
    store->UpsertWorld("netlab", "alice", 1);
  }
  UndoHosts(path);
  RawQuery(path, "DELETE FROM schema_history WHERE version = 6");
  RawQuery(path, "PRAGMA user_version = 5");

  auto store = Store::Open(path);
  EXPECT_EQ(store->SchemaVersion(), 6);
  std::vector<WorldRecord> worlds = store->Worlds("netlab", std::nullopt);
  ASSERT_EQ(worlds.size(), 1u);
  EXPECT_EQ(worlds[0].host, "");
  EXPECT_EQ(store->CountWorldsOn(""), 1);
  EXPECT_TRUE(store->Hosts().empty());
  EXPECT_EQ(store->SchemaHistory().back().name, "db/006_hosts.sql");
}

TEST(MigrationsTest, DatabaseNewerThanTheBinaryIsRefused) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("state.db");
  Store::Open(path).reset();
  RawQuery(path, "PRAGMA user_version = 99");
  {
    const core::Error e = support::ThrownError([&] { Store::Open(path); });
    EXPECT_EQ(e.message(),
              "the state database has schema version 99 but this worlds knows only up to 6");
    EXPECT_EQ(e.where(), path);
    EXPECT_EQ(e.fix(), "upgrade worlds to the version that wrote this database");
  }
}

TEST(MigrationsTest, UnopenablePathNamesThePath) {
  support::TempDir dir("worlds-store-");
  std::string path = dir.File("missing-dir/state.db");
  {
    const core::Error e = support::ThrownError([&] { Store::Open(path); });
    EXPECT_EQ(e.message(), "cannot open the state database: unable to open database file");
    EXPECT_EQ(e.where(), path);
    EXPECT_EQ(e.fix(), "check that its directory exists and is writable by this user");
  }
}

}  // namespace
}  // namespace store

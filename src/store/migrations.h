// Schema migrations from db/NNN_*.sql (embedded), tracked by user_version.
// Internal to store/.
#pragma once

#include <sqlite3.h>

namespace store {

// The schema version this binary writes: the number of the last migration.
int LatestSchemaVersion();

// Applies, in order, each migration newer than the database's user_version,
// each in one BEGIN IMMEDIATE transaction that also sets user_version, so a
// crash or a concurrent opener never leaves a half-migrated schema.
// Throws core::Error when the database is newer than this binary, or when a
// migration fails (that migration is rolled back).
void ApplyMigrations(sqlite3* db);

// PRAGMA user_version of the main database.
int UserVersion(sqlite3* db);

}  // namespace store

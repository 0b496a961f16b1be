-- Migration 1: the initial schema of state.db.
-- Migrations are embedded into the binary and applied in order by
-- src/store/migrations.cc, each in one transaction that also sets
-- PRAGMA user_version to its number. A new migration is a new file
-- db/NNN_name.sql AND a new entry in kMigrations in src/store/migrations.cc
-- (then re-run cmake so the file is embedded). Never edit a released one.
-- Timestamps are UTC ISO 8601 text, e.g. 2024-05-01T12:00:00.000Z.

CREATE TABLE labs (
  name        TEXT PRIMARY KEY NOT NULL,
  source_file TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE users (
  username   TEXT PRIMARY KEY NOT NULL,
  full_name  TEXT NOT NULL DEFAULT '',
  grp        TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- owner is a user name or a group name, hence no foreign key to users.
CREATE TABLE worlds (
  id         INTEGER PRIMARY KEY,
  lab        TEXT NOT NULL REFERENCES labs(name),
  owner      TEXT NOT NULL,
  idx        INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (lab, owner)
);

CREATE TABLE vms (
  id         INTEGER PRIMARY KEY,
  world_id   INTEGER NOT NULL REFERENCES worlds(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  domain     TEXT NOT NULL UNIQUE,
  overlay    TEXT NOT NULL DEFAULT '',
  phase      TEXT NOT NULL DEFAULT 'planned'
             CHECK (phase IN ('planned', 'overlay', 'customized', 'defined', 'ready')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (world_id, name)
);

CREATE TABLE base_images (
  path          TEXT PRIMARY KEY NOT NULL,
  checksum      TEXT NOT NULL,
  size          INTEGER NOT NULL,
  mtime_ns      INTEGER NOT NULL,
  registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE deployments (
  id          INTEGER PRIMARY KEY,
  lab         TEXT NOT NULL,
  actor       TEXT NOT NULL,
  args        TEXT NOT NULL DEFAULT '',
  started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  result      TEXT,
  summary     TEXT
);

-- The audit trail: one row per state change and per user action.
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  uid    INTEGER NOT NULL DEFAULT -1,
  actor  TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_actor ON events(actor);
CREATE INDEX events_at ON events(at);

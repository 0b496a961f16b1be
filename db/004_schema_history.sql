-- Migration 4: upgrades leave a trace. Every migration applied from this
-- one on is a row: which, when, and by which version of worlds, so after a
-- package upgrade an admin (and `worlds config`) can see that state.db was
-- migrated and by what.
CREATE TABLE schema_history (
  version        INTEGER PRIMARY KEY NOT NULL,
  name           TEXT NOT NULL,
  worlds_version TEXT NOT NULL,
  applied_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Migration 2: the Unix accounts that `worlds users sync` created.
-- Only these may ever be deleted by `worlds users sync --remove-missing`;
-- an account Worlds did not create is never removed. uid guards against a
-- name that was deleted behind our back and re-created by someone else.

CREATE TABLE accounts (
  username   TEXT PRIMARY KEY NOT NULL,
  uid        INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

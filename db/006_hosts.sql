-- Migration 6: lab hosts (issue 14). With no row here Worlds has a single
-- lab host, the `connect` setting's libvirt, as before this migration.
-- `worlds host add|remove|drain|undrain` change it; deploys place Worlds.
CREATE TABLE hosts (
  name          TEXT PRIMARY KEY NOT NULL,
  uri           TEXT NOT NULL UNIQUE,   -- libvirt URI, e.g. qemu+ssh://root@lab2/system
  storage_dir   TEXT NOT NULL,          -- overlays, on the host itself
  memory_mib    INTEGER NULL CHECK (memory_mib > 0),  -- NULL: what libvirt reports
  vcpus         INTEGER NULL CHECK (vcpus > 0),       -- NULL: what libvirt reports
  keep_free_mib INTEGER NOT NULL DEFAULT 0 CHECK (keep_free_mib >= 0),
  draining      INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0, 1)),
  added_by      TEXT NOT NULL,
  added_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The host a World lives on, whole (its networks are that host's bridges).
-- NULL: the `connect` setting's host, where every World was before. A
-- hosts(name), checked by the store (Store::SetWorldHost, RemoveHost)
-- rather than by a foreign key, which ALTER TABLE could not drop again.
ALTER TABLE worlds ADD COLUMN host TEXT NULL;

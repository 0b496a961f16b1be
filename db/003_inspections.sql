-- Migration 3: real guests.
-- image_inspections keeps what libguestfs inspection found in a base image
-- (root, mountpoints, distro, init, network stack, ...), keyed by the
-- image's sha256 (base_images.checksum), so each distinct base is
-- inspected once, whatever the number of overlays over it.
-- vms.identity is the identity made for the VM at deploy time: JSON
-- {"machine_id", "host_keys": [{"type", "fingerprint", "public_key"}],
--  "nics": [{"name", "mac", "address"}]} (never a private key), '' until its
-- overlay is customized.

CREATE TABLE image_inspections (
  checksum     TEXT PRIMARY KEY NOT NULL,
  report       TEXT NOT NULL,
  inspected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

ALTER TABLE vms ADD COLUMN identity TEXT NOT NULL DEFAULT '';

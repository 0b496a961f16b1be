-- Migration 5: lab schedules and idle shutdown (issue 13).
-- labs.policy: the lab's schedule and idle policy as the last deploy found
-- them in the lab file, as JSON (schedule::EncodePolicy); '' for a lab
-- with neither (always open). The broker reads it instead of the lab file,
-- which may have changed since.
ALTER TABLE labs ADD COLUMN policy TEXT NOT NULL DEFAULT '';

-- An instructor's `worlds lab open|close`: wins over the schedule until
-- `until` (UTC ISO 8601; NULL: until changed again). One per lab; `worlds
-- lab follow-schedule` deletes it.
CREATE TABLE lab_overrides (
  lab   TEXT PRIMARY KEY NOT NULL REFERENCES labs(name) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  until TEXT NULL,
  actor TEXT NOT NULL,
  at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Version 3: retention. `closed_at_us` says when a lead closed (0 while it
-- is open or waiting), so closed leads can be deleted after a while; leads
-- closed before this version take the time of their last event.
-- `stream_floor` is the oldest cursor the change stream still serves: the
-- events after it are all kept. It is raised in the same transaction that
-- deletes events, and read in the same statement that reads them, so a
-- watcher never misses an event silently. It has its own row so pruning
-- never waits on store_clock, which every routing transaction updates.
ALTER TABLE assignments ADD COLUMN closed_at_us bigint NOT NULL DEFAULT 0;
UPDATE assignments a SET closed_at_us = coalesce(
    (SELECT max(e.at_us) FROM events e WHERE e.lead_id = a.lead_id),
    a.routed_at_us)
  WHERE a.state = 4;
CREATE INDEX assignments_closed ON assignments (closed_at_us) WHERE state = 4;

CREATE TABLE stream_floor (
  id     integer PRIMARY KEY CHECK (id = 1),
  cursor bigint NOT NULL
);
INSERT INTO stream_floor (id, cursor) VALUES (1, 0);

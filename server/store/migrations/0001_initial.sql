-- leadrouter's PostgreSQL schema, version 1. Applied once, in a transaction,
-- by server/store/pg_schema.cc; never edit an applied migration: add the next
-- file instead (0002_....sql) and list it in server/store/CMakeLists.txt.

-- One row. `version` grows by one with every routing transaction (routes,
-- lifecycle changes, lapses, drains); the routing-state rows each carry the
-- version that last wrote them (`changed_at`), so a replica whose copy of the
-- state is at version V reads only the rows with changed_at > V.
-- `last_seq` is the cursor of the newest event: see `events`.
CREATE TABLE store_clock (
  id       integer PRIMARY KEY CHECK (id = 1),
  version  bigint NOT NULL,
  last_seq bigint NOT NULL
);
INSERT INTO store_clock (id, version, last_seq) VALUES (1, 0, 0);

-- One row per lead: the Assignment and the Lead as serialized protos, plus
-- the columns queries filter on. `position` orders List (assignments are
-- inserted under the routing lock, so positions grow in commit order).
CREATE TABLE assignments (
  position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_id      text NOT NULL UNIQUE,
  state        integer NOT NULL,
  rep_id       text NOT NULL,
  team_id      text NOT NULL,
  queue        text NOT NULL,
  routed_at_us bigint NOT NULL,
  queued_at_us bigint NOT NULL DEFAULT 0,
  score        integer NOT NULL DEFAULT 0,
  sla_due_us   bigint NOT NULL DEFAULT 0,
  assignment   bytea NOT NULL,
  lead         bytea NOT NULL
);
CREATE INDEX assignments_by_rep ON assignments (rep_id, position);
CREATE INDEX assignments_by_team ON assignments (team_id, position);
CREATE INDEX assignments_by_state ON assignments (state, position);
CREATE INDEX assignments_waiting ON assignments
  (queue, score DESC, queued_at_us, lead_id) WHERE state = 2;
CREATE INDEX assignments_sla_due ON assignments (sla_due_us)
  WHERE sla_due_us > 0;

-- Every change of every lead: its history and the change stream. `seq` is
-- the cursor. It is not a sequence: the routing transaction assigns it from
-- store_clock.last_seq while it holds the routing lock, so seq order is
-- commit order and there are no holes (see server/store/pg_commit.cc).
CREATE TABLE events (
  seq             bigint PRIMARY KEY,
  lead_id         text NOT NULL,
  rep_id          text NOT NULL,
  previous_rep_id text NOT NULL,
  team_id         text NOT NULL,
  at_us           bigint NOT NULL,
  event           bytea NOT NULL
);
CREATE INDEX events_by_lead ON events (lead_id, seq);

-- The routing state (routing/routing_state.h). Rows are upserted with
-- absolute values and never deleted: a value of zero stands for "none", so
-- that its removal reaches other replicas through changed_at.
--
-- A rep never holds more open leads than their capacity: every write that
-- raises open_count also writes the capacity it was decided against, and the
-- CHECK refuses the transaction if the count would exceed it.
CREATE TABLE rep_load (
  rep_id     text PRIMARY KEY,
  open_count integer NOT NULL CHECK (open_count >= 0),
  capacity   integer,
  changed_at bigint NOT NULL,
  CONSTRAINT rep_within_capacity
    CHECK (capacity IS NULL OR open_count <= capacity)
);
CREATE INDEX rep_load_changed ON rep_load (changed_at);

CREATE TABLE team_rotation (
  team_id     text PRIMARY KEY,
  last_rep_id text NOT NULL,
  changed_at  bigint NOT NULL
);
CREATE INDEX team_rotation_changed ON team_rotation (changed_at);

CREATE TABLE rotation_credit (
  team_id    text NOT NULL,
  rep_id     text NOT NULL,
  credit     bigint NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (team_id, rep_id)
);
CREATE INDEX rotation_credit_changed ON rotation_credit (changed_at);

CREATE TABLE rep_daily (
  rep_id     text PRIMARY KEY,
  day        bigint NOT NULL,
  assigned   integer NOT NULL,
  changed_at bigint NOT NULL
);
CREATE INDEX rep_daily_changed ON rep_daily (changed_at);

-- `ord` keeps the order in which reps first got an open lead of the company
-- (stickiness prefers the first); a row that comes back from zero gets a
-- new one, as if it were new.
CREATE SEQUENCE company_owner_ord;
CREATE TABLE company_owner (
  team_id    text NOT NULL,
  domain     text NOT NULL,
  rep_id     text NOT NULL,
  open_count integer NOT NULL,
  ord        bigint NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (team_id, domain, rep_id)
);
CREATE INDEX company_owner_changed ON company_owner (changed_at);

CREATE TABLE catch_up (
  team_id    text NOT NULL,
  rep_id     text NOT NULL,
  away       boolean NOT NULL,
  owed       integer NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (team_id, rep_id)
);
CREATE INDEX catch_up_changed ON catch_up (changed_at);

-- Admins' availability and capacity overrides, by rep.
CREATE TABLE rep_override (
  rep_id   text PRIMARY KEY,
  override bytea NOT NULL
);

-- Who changed what, and refused calls.
CREATE TABLE audit_events (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_us     bigint NOT NULL,
  principal text NOT NULL,
  method    text NOT NULL,
  event     bytea NOT NULL
);
CREATE INDEX audit_by_principal ON audit_events (principal, id);
CREATE INDEX audit_by_method ON audit_events (method, id);

-- Every config that ran, with its first run.
CREATE TABLE config_versions (
  version      text PRIMARY KEY,
  first_ran_us bigint NOT NULL,
  record       bytea NOT NULL
);

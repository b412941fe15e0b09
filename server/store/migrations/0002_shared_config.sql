-- Version 2: the running routing config, shared by every replica. One row:
-- the config that runs (as GetConfig reports it, with the base config and
-- the rep overrides) and a generation that grows with every change.
-- Routing transactions read the generation under the routing lock, so a
-- route that starts after a change was published decides on it; listeners
-- are woken by NOTIFY leadrouter_config.
CREATE TABLE running_config (
  id         integer PRIMARY KEY CHECK (id = 1),
  generation bigint NOT NULL,
  record     bytea NOT NULL
);

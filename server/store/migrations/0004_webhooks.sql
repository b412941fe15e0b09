-- Version 4: outbound webhooks. Each subscription's position in the change
-- stream (the last cursor it is done with), the events it gave up on, and
-- the lease that lets one replica at a time deliver.
CREATE TABLE webhook_position (
  subscription text PRIMARY KEY,
  position     bigint NOT NULL
);
CREATE TABLE webhook_dead_letter (
  subscription text NOT NULL,
  cursor       bigint NOT NULL,
  event        bytea NOT NULL,
  failed_at_us bigint NOT NULL,
  attempts     integer NOT NULL,
  error        text NOT NULL,
  retry        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (subscription, cursor)
);
CREATE TABLE webhook_lease (
  id       integer PRIMARY KEY CHECK (id = 1),
  holder   text NOT NULL,
  until_us bigint NOT NULL
);

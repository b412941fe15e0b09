// Schema versions (PRAGMA user_version):
//   1  assignments, rep_load, team_rotation
//   2  + assignments.score and the waiting-queue index; rotation_credit,
//      rep_daily, company_owner, catch_up
//   3  + assignments.sla_due_us (response-time timers) and `events`, the
//      history of every lead and the change stream (seq is the cursor);
//      rep_override (admins' availability and capacity overrides)
//   4  + audit_events (who changed what, and denied calls) and
//      config_versions (every config that ran)
//   5  + assignments.closed_at_us (when a lead closed, for retention), the
//      waiting-queue index covers the start-up load, and
//      stream_floor (the change stream's oldest served cursor); the file is
//      marked with PRAGMA application_id, so a backup can be recognised
#include "server/store/sqlite_state.h"
#include "server/store/stored_rows.h"

#include "absl/strings/str_cat.h"
#include "leadrouter/v1/lead.pb.h"

namespace leadrouter::server {
namespace {


constexpr char kTables[] = R"sql(
CREATE TABLE IF NOT EXISTS assignments (
  position     INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id      TEXT NOT NULL UNIQUE,
  state        INTEGER NOT NULL,
  rep_id       TEXT NOT NULL,
  team_id      TEXT NOT NULL,
  queue        TEXT NOT NULL,
  routed_at_us INTEGER NOT NULL,
  assignment   BLOB NOT NULL,
  lead         BLOB NOT NULL,
  score        INTEGER NOT NULL DEFAULT 0,
  sla_due_us   INTEGER NOT NULL DEFAULT 0,
  closed_at_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS assignments_by_rep ON assignments(rep_id, position);
CREATE INDEX IF NOT EXISTS assignments_by_team
  ON assignments(team_id, position);
CREATE INDEX IF NOT EXISTS assignments_by_state
  ON assignments(state, position);
CREATE TABLE IF NOT EXISTS events (
  seq             INTEGER PRIMARY KEY,
  lead_id         TEXT NOT NULL,
  rep_id          TEXT NOT NULL,
  previous_rep_id TEXT NOT NULL,
  team_id         TEXT NOT NULL,
  at_us           INTEGER NOT NULL,
  event           BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_lead ON events(lead_id, seq);
CREATE TABLE IF NOT EXISTS rep_override (
  rep_id   TEXT PRIMARY KEY,
  override BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_events (
  id        INTEGER PRIMARY KEY,
  at_us     INTEGER NOT NULL,
  principal TEXT NOT NULL,
  method    TEXT NOT NULL,
  event     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_principal ON audit_events(principal, id);
CREATE INDEX IF NOT EXISTS audit_by_method ON audit_events(method, id);
CREATE TABLE IF NOT EXISTS config_versions (
  version      TEXT PRIMARY KEY,
  first_ran_us INTEGER NOT NULL,
  record       BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rep_load (
  rep_id     TEXT PRIMARY KEY,
  open_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS team_rotation (
  team_id     TEXT PRIMARY KEY,
  last_rep_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rotation_credit (
  team_id TEXT NOT NULL,
  rep_id  TEXT NOT NULL,
  credit  INTEGER NOT NULL,
  PRIMARY KEY (team_id, rep_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rep_daily (
  rep_id   TEXT PRIMARY KEY,
  day      INTEGER NOT NULL,
  assigned INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS company_owner (
  team_id    TEXT NOT NULL,
  domain     TEXT NOT NULL,
  rep_id     TEXT NOT NULL,
  open_count INTEGER NOT NULL,
  UNIQUE (team_id, domain, rep_id)
);
CREATE TABLE IF NOT EXISTS stream_floor (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  cursor INTEGER NOT NULL
);
INSERT OR IGNORE INTO stream_floor (id, cursor) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS webhook_position (
  subscription TEXT PRIMARY KEY,
  position     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_dead_letter (
  subscription TEXT NOT NULL,
  cursor       INTEGER NOT NULL,
  event        BLOB NOT NULL,
  failed_at_us INTEGER NOT NULL,
  attempts     INTEGER NOT NULL,
  error        TEXT NOT NULL,
  retry        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (subscription, cursor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catch_up (
  team_id TEXT NOT NULL,
  rep_id  TEXT NOT NULL,
  away    INTEGER NOT NULL,
  owed    INTEGER NOT NULL,
  PRIMARY KEY (team_id, rep_id)
) WITHOUT ROWID;
)sql";

constexpr char kPartialIndexes[] =
    // Holds every column of a waiting lead that the start-up load reads, so
    // a million waiting leads load from the index alone, and already sorted
    // in the order leads are offered (SqliteStore::Waiting).
    // (`state` too: SQLite reads the table for it otherwise).
    "CREATE INDEX IF NOT EXISTS assignments_waiting ON assignments(queue, "
    "score DESC, routed_at_us, lead_id, state) WHERE state = 2; "
    "CREATE INDEX IF NOT EXISTS assignments_sla_due ON "
    "assignments(sla_due_us) WHERE sla_due_us > 0; "
    "CREATE INDEX IF NOT EXISTS assignments_closed ON "
    "assignments(closed_at_us) WHERE state = 4";

absl::StatusOr<int> UserVersion(SqliteDb& db) {
  auto q = db.Prepare("PRAGMA user_version");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(q->ColumnInt64(0));
}

// Version 1 had no score column: add it and fill it in for queued leads,
// the only rows whose order depends on it.
absl::Status UpgradeFrom1(SqliteDb& db) {
  if (auto s = db.Exec("ALTER TABLE assignments ADD COLUMN score INTEGER "
                       "NOT NULL DEFAULT 0");
      !s.ok()) {
    return s;
  }
  auto read = db.Prepare(
      "SELECT position, lead FROM assignments WHERE state = 2");
  auto write = db.Prepare("UPDATE assignments SET score = ?2 WHERE position = ?1");
  if (!read.ok()) return read.status();
  if (!write.ok()) return write.status();
  while (true) {
    absl::StatusOr<bool> row = read->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<leadrouter::v1::Lead> lead = ParseLead(read->ColumnBlob(1));
    if (!lead.ok()) return lead.status();
    write->Reset();
    write->BindInt64(1, read->ColumnInt64(0));
    write->BindInt64(2, lead->score());
    if (auto s = write->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Runs `each` for every row of `sql`.
template <typename Fn>
absl::Status ForEachRow(SqliteDb& db, const char* sql, Fn each) {
  auto q = db.Prepare(sql);
  if (!q.ok()) return q.status();
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    each(*q);
  }
}

}  // namespace

absl::Status CreateOrUpgradeSchema(SqliteDb& db) {
  if (auto s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    db.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  absl::StatusOr<int> version = UserVersion(db);
  if (!version.ok()) return fail(version.status());
  if (*version > kSqliteSchemaVersion) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "the database has schema version ", *version,
        ", newer than this leadrouterd (", kSqliteSchemaVersion,
        "); run a newer release")));
  }
  if (*version == 1) {
    if (auto s = UpgradeFrom1(db); !s.ok()) return fail(s);
  }
  // Versions 1 and 2 had no response-time timers: nothing was due.
  if (*version == 1 || *version == 2) {
    if (auto s = db.Exec("ALTER TABLE assignments ADD COLUMN sla_due_us "
                         "INTEGER NOT NULL DEFAULT 0");
        !s.ok()) {
      return fail(s);
    }
  }
  // Versions before 5 did not record when a lead closed (leads close from
  // version 3 on): the time of its last event is when it did.
  if (*version >= 1 && *version <= 4) {
    if (auto s = db.Exec("ALTER TABLE assignments ADD COLUMN closed_at_us "
                         "INTEGER NOT NULL DEFAULT 0");
        !s.ok()) {
      return fail(s);
    }
  }
  if (*version == 3 || *version == 4) {
    if (auto s = db.Exec(
            "UPDATE assignments SET closed_at_us = coalesce((SELECT "
            "max(at_us) FROM events e WHERE e.lead_id = assignments.lead_id), "
            "routed_at_us) WHERE state = 4");
        !s.ok()) {
      return fail(s);
    }
  }
  // Version 5 replaced the waiting-queue index with one that covers the
  // start-up load.
  if (auto s = db.Exec("DROP INDEX IF EXISTS assignments_queued"); !s.ok()) {
    return fail(s);
  }
  if (auto s = db.Exec(kTables); !s.ok()) return fail(s);
  if (auto s = db.Exec(absl::StrCat("PRAGMA application_id = ",
                                    kSqliteApplicationId));
      !s.ok()) {
    return fail(s);
  }
  if (auto s = db.Exec(kPartialIndexes); !s.ok()) return fail(s);
  if (auto s = db.Exec(absl::StrCat("PRAGMA user_version = ", kSqliteSchemaVersion));
      !s.ok()) {
    return fail(s);
  }
  return db.Exec("COMMIT");
}

absl::StatusOr<routing::RoutingState> LoadRoutingState(SqliteDb& db) {
  routing::RoutingState state;
  absl::Status s = ForEachRow(
      db, "SELECT rep_id, open_count FROM rep_load", [&](SqliteStatement& q) {
        state.SetOpenAssignments(q.ColumnText(0),
                                 static_cast<int>(q.ColumnInt64(1)));
      });
  if (s.ok()) {
    s = ForEachRow(db, "SELECT team_id, last_rep_id FROM team_rotation",
                   [&](SqliteStatement& q) {
                     state.SetLastAssigned(q.ColumnText(0), q.ColumnText(1));
                   });
  }
  if (s.ok()) {
    s = ForEachRow(db, "SELECT team_id, rep_id, credit FROM rotation_credit",
                   [&](SqliteStatement& q) {
                     state.SetCredit(q.ColumnText(0), q.ColumnText(1),
                                     q.ColumnInt64(2));
                   });
  }
  if (s.ok()) {
    s = ForEachRow(db, "SELECT rep_id, day, assigned FROM rep_daily",
                   [&](SqliteStatement& q) {
                     state.SetDaily(q.ColumnText(0),
                                    {q.ColumnInt64(1),
                                     static_cast<int>(q.ColumnInt64(2))});
                   });
  }
  if (s.ok()) {
    // rowid order is the order in which reps first got the company.
    s = ForEachRow(db,
                   "SELECT team_id, domain, rep_id, open_count FROM "
                   "company_owner ORDER BY rowid",
                   [&](SqliteStatement& q) {
                     state.SetCompanyOpen(q.ColumnText(0), q.ColumnText(1),
                                          q.ColumnText(2),
                                          static_cast<int>(q.ColumnInt64(3)));
                   });
  }
  if (s.ok()) {
    s = ForEachRow(db, "SELECT team_id, rep_id, away, owed FROM catch_up",
                   [&](SqliteStatement& q) {
                     state.SetAway(q.ColumnText(0), q.ColumnText(1),
                                   {q.ColumnInt64(2) != 0,
                                    static_cast<int>(q.ColumnInt64(3))});
                   });
  }
  if (!s.ok()) return s;
  return state;
}

absl::Status StateWriter::Run(
    std::optional<SqliteStatement>& slot, const char* sql,
    const std::function<void(SqliteStatement&)>& bind) {
  if (!slot.has_value()) {
    auto q = db_.Prepare(sql);
    if (!q.ok()) return q.status();
    slot.emplace(*std::move(q));
  }
  slot->Reset();
  bind(*slot);
  return slot->Run();
}

absl::Status StateWriter::Write(const routing::StateChanges& changes) {
  absl::Status s;
  for (const auto& c : changes.open) {
    s.Update(Run(open_,
                 "INSERT INTO rep_load (rep_id, open_count) VALUES (?1, ?2) "
                 "ON CONFLICT (rep_id) DO UPDATE SET "
                 "open_count = excluded.open_count",
                 [&](SqliteStatement& q) {
                   q.BindText(1, c.rep_id);
                   q.BindInt64(2, c.count);
                 }));
  }
  for (const auto& c : changes.rotation) {
    s.Update(Run(rotation_,
                 "INSERT INTO team_rotation (team_id, last_rep_id) VALUES "
                 "(?1, ?2) ON CONFLICT (team_id) DO UPDATE SET "
                 "last_rep_id = excluded.last_rep_id",
                 [&](SqliteStatement& q) {
                   q.BindText(1, c.team_id);
                   q.BindText(2, c.rep_id);
                 }));
  }
  for (const auto& c : changes.credits) {
    s.Update(Run(credit_,
                 "INSERT INTO rotation_credit (team_id, rep_id, credit) "
                 "VALUES (?1, ?2, ?3) ON CONFLICT (team_id, rep_id) DO UPDATE "
                 "SET credit = excluded.credit",
                 [&](SqliteStatement& q) {
                   q.BindText(1, c.team_id);
                   q.BindText(2, c.rep_id);
                   q.BindInt64(3, c.credit);
                 }));
  }
  for (const auto& c : changes.daily) {
    s.Update(Run(daily_,
                 "INSERT INTO rep_daily (rep_id, day, assigned) VALUES "
                 "(?1, ?2, ?3) ON CONFLICT (rep_id) DO UPDATE SET "
                 "day = excluded.day, assigned = excluded.assigned",
                 [&](SqliteStatement& q) {
                   q.BindText(1, c.rep_id);
                   q.BindInt64(2, c.value.day);
                   q.BindInt64(3, c.value.count);
                 }));
  }
  for (const auto& c : changes.companies) {
    auto bind = [&](SqliteStatement& q) {
      q.BindText(1, c.team_id);
      q.BindText(2, c.domain);
      q.BindText(3, c.rep_id);
      if (c.open > 0) q.BindInt64(4, c.open);
    };
    s.Update(c.open > 0
                 ? Run(company_upsert_,
                       "INSERT INTO company_owner (team_id, domain, rep_id, "
                       "open_count) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                       "(team_id, domain, rep_id) DO UPDATE SET "
                       "open_count = excluded.open_count",
                       bind)
                 : Run(company_delete_,
                       "DELETE FROM company_owner WHERE team_id = ?1 AND "
                       "domain = ?2 AND rep_id = ?3",
                       bind));
  }
  for (const auto& c : changes.catch_up) {
    const bool keep = c.value.away || c.value.owed > 0;
    auto bind = [&](SqliteStatement& q) {
      q.BindText(1, c.team_id);
      q.BindText(2, c.rep_id);
      if (keep) {
        q.BindInt64(3, c.value.away ? 1 : 0);
        q.BindInt64(4, c.value.owed);
      }
    };
    s.Update(keep ? Run(away_upsert_,
                        "INSERT INTO catch_up (team_id, rep_id, away, owed) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (team_id, rep_id) "
                        "DO UPDATE SET away = excluded.away, "
                        "owed = excluded.owed",
                        bind)
                  : Run(away_delete_,
                        "DELETE FROM catch_up WHERE team_id = ?1 AND "
                        "rep_id = ?2",
                        bind));
  }
  // The first error; the caller rolls the transaction back on any.
  return s;
}

}  // namespace leadrouter::server

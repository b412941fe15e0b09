// Retention and backup in the shared store. Pruning runs on a reader
// connection in its own short transaction, never under the routing lock:
// closed leads are terminal, so deleting them cannot race a decision, and
// the change stream's floor has its own row (see migrations/0003). Replicas
// that prune at once take turns on that row.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/pg_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

absl::StatusOr<int64_t> PgStore::OldestCursor() {
  return WithReader([](PgConnection& db) -> absl::StatusOr<int64_t> {
    absl::StatusOr<PgResult> row = db.Query("SELECT cursor FROM stream_floor");
    if (!row.ok()) return row.status();
    if (row->rows() != 1) return absl::InternalError("stream_floor is empty");
    return row->Int(0, 0);
  });
}

namespace {

// Runs one statement whose first column of its one row is a count.
absl::StatusOr<int64_t> Count(PgConnection& db, const std::string& sql,
                              const PgParams& params) {
  absl::StatusOr<PgResult> r = db.Query(sql, params);
  if (!r.ok()) return r.status();
  return r->rows() > 0 ? r->Int(0, 0) : 0;
}

absl::StatusOr<PruneResult> PruneInTransaction(PgConnection& db,
                                               const RetentionPolicy& policy,
                                               absl::Time now, int limit) {
  PruneResult result;
  absl::StatusOr<PgResult> floor_row =
      db.Query("SELECT cursor FROM stream_floor FOR UPDATE");
  if (!floor_row.ok()) return floor_row.status();
  if (floor_row->rows() != 1) return absl::InternalError("no stream_floor");
  const int64_t floor = floor_row->Int(0, 0);

  if (policy.closed_leads > absl::ZeroDuration()) {
    absl::StatusOr<PgResult> leads = db.Query(
        "SELECT lead_id FROM assignments WHERE state = 4 AND "
        "closed_at_us > 0 AND closed_at_us < $1 ORDER BY closed_at_us "
        "LIMIT $2",
        PgParams()
            .Int(absl::ToUnixMicros(now - policy.closed_leads))
            .Int(limit));
    if (!leads.ok()) return leads.status();
    std::vector<std::string> ids;
    for (int i = 0; i < leads->rows(); ++i) ids.push_back(leads->Bytes(i, 0));
    if (static_cast<int>(ids.size()) == limit) result.more = true;
    if (!ids.empty()) {
      if (auto s = db.Query("DELETE FROM events WHERE lead_id = ANY($1)",
                            PgParams().TextArray(ids));
          !s.ok()) {
        return s.status();
      }
      absl::StatusOr<int64_t> deleted = Count(
          db,
          "WITH d AS (DELETE FROM assignments WHERE lead_id = ANY($1) AND "
          "state = 4 RETURNING 1) SELECT count(*) FROM d",
          PgParams().TextArray(ids));
      if (!deleted.ok()) return deleted.status();
      result.leads_deleted = *deleted;
    }
  }

  if (policy.events > absl::ZeroDuration()) {
    absl::StatusOr<PgResult> scan = db.Query(
        "SELECT seq, at_us FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        PgParams().Int(floor).Int(limit));
    if (!scan.ok()) return scan.status();
    const int64_t cutoff_us = absl::ToUnixMicros(now - policy.events);
    int64_t new_floor = floor;
    bool reached_window = false;
    for (int i = 0; i < scan->rows(); ++i) {
      if (scan->Int(i, 1) >= cutoff_us) {
        reached_window = true;
        break;
      }
      new_floor = scan->Int(i, 0);
    }
    if (!reached_window && scan->rows() == limit) result.more = true;
    if (new_floor > floor) {
      if (auto s = db.Query("UPDATE stream_floor SET cursor = $1",
                            PgParams().Int(new_floor));
          !s.ok()) {
        return s.status();
      }
      absl::StatusOr<int64_t> deleted = Count(
          db,
          "WITH d AS (DELETE FROM events WHERE seq > $1 AND seq <= $2 AND "
          "NOT EXISTS (SELECT 1 FROM assignments a WHERE a.lead_id = "
          "events.lead_id AND a.state <> 4) RETURNING 1) "
          "SELECT count(*) FROM d",
          PgParams().Int(floor).Int(new_floor));
      if (!deleted.ok()) return deleted.status();
      result.events_deleted = *deleted;
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<PruneResult> PgStore::Prune(const RetentionPolicy& policy,
                                           absl::Time now, int limit) {
  if (limit <= 0) return PruneResult();
  absl::StatusOr<Reader> db = TakeReader();
  if (!db.ok()) return db.status();
  PgConnection& conn = **db;
  if (auto s = conn.Exec("BEGIN"); !s.ok()) return s;
  absl::StatusOr<PruneResult> result =
      PruneInTransaction(conn, policy, now, limit);
  if (!result.ok()) {
    conn.Exec("ROLLBACK").IgnoreError();
    return result.status();
  }
  if (auto s = conn.Exec("COMMIT"); !s.ok()) return s;
  return result;
}

absl::Status PgStore::Backup(const std::string& /*path*/) {
  return absl::FailedPreconditionError(
      "the shared store is backed up with PostgreSQL's own tools: pg_dump "
      "for a consistent copy while it serves, or base backups with WAL "
      "archiving for point-in-time recovery (see the README)");
}

}  // namespace leadrouter::server

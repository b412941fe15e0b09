// Retention in the embedded store: closed leads past their time are deleted
// with their events, and events past the change stream's window are deleted
// unless their lead is still open or waiting. One Prune call is one short
// transaction on the writer connection, taken between two group commits, so
// routing waits for at most one small batch.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/log.h"
#include "server/store/sqlite_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

absl::StatusOr<int64_t> SqliteStore::PruneClosedLeads(absl::Time cutoff,
                                                      int limit, bool* more) {
  std::vector<std::string> leads;
  {
    auto q = writer_db_.Prepare(
        "SELECT lead_id FROM assignments WHERE state = 4 AND "
        "closed_at_us > 0 AND closed_at_us < ?1 ORDER BY closed_at_us "
        "LIMIT ?2");
    if (!q.ok()) return q.status();
    q->BindInt64(1, absl::ToUnixMicros(cutoff));
    q->BindInt64(2, limit);
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      leads.push_back(q->ColumnText(0));
    }
  }
  if (static_cast<int>(leads.size()) == limit) *more = true;
  auto events = writer_db_.Prepare("DELETE FROM events WHERE lead_id = ?1");
  auto lead = writer_db_.Prepare(
      "DELETE FROM assignments WHERE lead_id = ?1 AND state = 4");
  if (!events.ok()) return events.status();
  if (!lead.ok()) return lead.status();
  for (const std::string& id : leads) {
    events->Reset();
    events->BindText(1, id);
    if (auto s = events->Run(); !s.ok()) return s;
    lead->Reset();
    lead->BindText(1, id);
    if (auto s = lead->Run(); !s.ok()) return s;
  }
  return static_cast<int64_t>(leads.size());
}

absl::StatusOr<int64_t> SqliteStore::PruneEvents(absl::Time cutoff, int limit,
                                                 bool* more) {
  const int64_t floor = stream_floor_.load(std::memory_order_acquire);
  // The stream's oldest served cursor moves past every event older than
  // the window, in cursor order, up to the first that is not.
  int64_t new_floor = floor;
  int scanned = 0;
  bool reached_window = false;
  {
    auto q = writer_db_.Prepare(
        "SELECT seq, at_us FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    if (!q.ok()) return q.status();
    q->BindInt64(1, floor);
    q->BindInt64(2, limit);
    const int64_t cutoff_us = absl::ToUnixMicros(cutoff);
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ++scanned;
      if (q->ColumnInt64(1) >= cutoff_us) {
        reached_window = true;
        break;
      }
      new_floor = q->ColumnInt64(0);
    }
  }
  if (!reached_window && scanned == limit) *more = true;
  if (new_floor == floor) return 0;
  auto save = writer_db_.Prepare("UPDATE stream_floor SET cursor = ?1");
  if (!save.ok()) return save.status();
  save->BindInt64(1, new_floor);
  if (auto s = save->Run(); !s.ok()) return s;
  auto drop = writer_db_.Prepare(
      "DELETE FROM events WHERE seq > ?1 AND seq <= ?2 AND NOT EXISTS "
      "(SELECT 1 FROM assignments a WHERE a.lead_id = events.lead_id AND "
      "a.state <> 4)");
  if (!drop.ok()) return drop.status();
  drop->BindInt64(1, floor);
  drop->BindInt64(2, new_floor);
  if (auto s = drop->Run(); !s.ok()) return s;
  const int64_t deleted = writer_db_.Changes();
  // Before the deletion is visible: a reader that saw it sees this too.
  stream_floor_.store(new_floor, std::memory_order_release);
  return deleted;
}

absl::StatusOr<PruneResult> SqliteStore::Prune(const RetentionPolicy& policy,
                                               absl::Time now, int limit) {
  PruneResult result;
  if (limit <= 0) return result;
  std::lock_guard write(write_mu_);
  if (auto s = writer_db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  const int64_t floor_before = stream_floor_.load(std::memory_order_acquire);
  auto fail = [&](absl::Status s) {
    writer_db_.Exec("ROLLBACK").IgnoreError();
    stream_floor_.store(floor_before, std::memory_order_release);
    return s;
  };
  if (policy.closed_leads > absl::ZeroDuration()) {
    absl::StatusOr<int64_t> leads =
        PruneClosedLeads(now - policy.closed_leads, limit, &result.more);
    if (!leads.ok()) return fail(leads.status());
    result.leads_deleted = *leads;
  }
  if (policy.events > absl::ZeroDuration()) {
    absl::StatusOr<int64_t> events =
        PruneEvents(now - policy.events, limit, &result.more);
    if (!events.ok()) return fail(events.status());
    result.events_deleted = *events;
  }
  if (auto s = writer_db_.Exec("COMMIT"); !s.ok()) return fail(s);
  if (!result.more &&
      (result.leads_deleted > 0 || result.events_deleted > 0)) {
    // As after an erasure: the deleted rows' old pages leave the WAL too,
    // and the WAL does not keep the size of the deletions.
    if (auto s = writer_db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !s.ok()) {
      LogError("retention_checkpoint_failed",
               {{"error", std::string(s.message())}});
    }
  }
  return result;
}

}  // namespace leadrouter::server

// Webhook delivery state of the embedded store: positions and dead letters
// on the reader connection (short writes, like the rep overrides), the
// lease trivially held (one process owns the file).
#include "absl/strings/str_cat.h"
#include "server/store/sqlite_store.h"

namespace leadrouter::server {

absl::StatusOr<std::optional<int64_t>> SqliteStore::WebhookPosition(
    const std::string& subscription) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT position FROM webhook_position WHERE subscription = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, subscription);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return q->ColumnInt64(0);
}

absl::Status SqliteStore::AdvanceWebhook(const std::string& subscription,
                                         int64_t position,
                                         const std::vector<DeadLetter>& dead) {
  std::lock_guard lock(reader_mu_);
  if (auto s = reader_db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    reader_db_.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  for (const DeadLetter& d : dead) {
    auto q = reader_db_.Prepare(
        "INSERT INTO webhook_dead_letter (subscription, cursor, event, "
        "failed_at_us, attempts, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (subscription, cursor) DO UPDATE SET "
        "failed_at_us = excluded.failed_at_us, attempts = excluded.attempts, "
        "error = excluded.error, retry = 0");
    if (!q.ok()) return fail(q.status());
    q->BindText(1, subscription);
    q->BindInt64(2, d.cursor);
    q->BindBlob(3, d.event.SerializeAsString());
    q->BindInt64(4, d.failed_at_us);
    q->BindInt64(5, d.attempts);
    q->BindText(6, d.error);
    if (auto s = q->Run(); !s.ok()) return fail(s);
  }
  auto q = reader_db_.Prepare(
      "INSERT INTO webhook_position (subscription, position) VALUES (?1, ?2) "
      "ON CONFLICT (subscription) DO UPDATE SET position = excluded.position");
  if (!q.ok()) return fail(q.status());
  q->BindText(1, subscription);
  q->BindInt64(2, position);
  if (auto s = q->Run(); !s.ok()) return fail(s);
  if (auto s = reader_db_.Exec("COMMIT"); !s.ok()) return fail(s);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DeadLetter>> SqliteStore::DeadLetters(
    const std::string& subscription, bool only_retry, int limit) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT subscription, cursor, event, failed_at_us, attempts, error, "
      "retry FROM webhook_dead_letter WHERE (?1 = '' OR subscription = ?1) "
      "AND (?2 = 0 OR retry = 1) ORDER BY subscription, cursor LIMIT ?3");
  if (!q.ok()) return q.status();
  q->BindText(1, subscription);
  q->BindInt64(2, only_retry ? 1 : 0);
  q->BindInt64(3, limit);
  std::vector<DeadLetter> letters;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    DeadLetter& d = letters.emplace_back();
    d.subscription = q->ColumnText(0);
    d.cursor = q->ColumnInt64(1);
    if (!d.event.ParseFromString(q->ColumnBlob(2))) {
      return absl::DataLossError("a stored dead letter does not parse");
    }
    d.failed_at_us = q->ColumnInt64(3);
    d.attempts = static_cast<int>(q->ColumnInt64(4));
    d.error = q->ColumnText(5);
    d.retry = q->ColumnInt64(6) != 0;
  }
  return letters;
}

absl::StatusOr<int> SqliteStore::RetryDeadLetters(
    const std::string& subscription, int64_t cursor) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "UPDATE webhook_dead_letter SET retry = 1 WHERE subscription = ?1 AND "
      "(?2 = 0 OR cursor = ?2)");
  if (!q.ok()) return q.status();
  q->BindText(1, subscription);
  q->BindInt64(2, cursor);
  if (auto s = q->Run(); !s.ok()) return s;
  return static_cast<int>(reader_db_.Changes());
}

absl::Status SqliteStore::SettleDeadLetter(const std::string& subscription,
                                           int64_t cursor,
                                           const std::string& error) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      error.empty()
          ? "DELETE FROM webhook_dead_letter WHERE subscription = ?1 AND "
            "cursor = ?2"
          : "UPDATE webhook_dead_letter SET retry = 0, attempts = attempts + "
            "1, error = ?3 WHERE subscription = ?1 AND cursor = ?2");
  if (!q.ok()) return q.status();
  q->BindText(1, subscription);
  q->BindInt64(2, cursor);
  if (!error.empty()) q->BindText(3, error);
  return q->Run();
}

absl::StatusOr<bool> SqliteStore::HoldWebhookLease(const std::string&,
                                                   absl::Duration) {
  return true;
}

}  // namespace leadrouter::server

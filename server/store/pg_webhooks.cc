// Webhook delivery state of the shared store. Every replica may read and
// change positions and dead letters; the lease row makes one replica at a
// time the deliverer (webhook_lease: a holder and until when, taken over
// only once it lapsed), so one subscription's events go out in order.
#include "absl/strings/str_cat.h"
#include "server/store/pg_store.h"

namespace leadrouter::server {

absl::StatusOr<std::optional<int64_t>> PgStore::WebhookPosition(
    const std::string& subscription) {
  return WithReader(
      [&](PgConnection& db) -> absl::StatusOr<std::optional<int64_t>> {
        absl::StatusOr<PgResult> row = db.Query(
            "SELECT position FROM webhook_position WHERE subscription = $1",
            PgParams().Text(subscription));
        if (!row.ok()) return row.status();
        if (row->rows() == 0) return std::nullopt;
        return row->Int(0, 0);
      });
}

absl::Status PgStore::AdvanceWebhook(const std::string& subscription,
                                     int64_t position,
                                     const std::vector<DeadLetter>& dead) {
  return WithReader([&](PgConnection& db) -> absl::Status {
    if (auto s = db.Exec("BEGIN"); !s.ok()) return s;
    auto fail = [&](absl::Status s) {
      db.Exec("ROLLBACK").IgnoreError();
      return s;
    };
    for (const DeadLetter& d : dead) {
      absl::StatusOr<PgResult> r = db.Query(
          "INSERT INTO webhook_dead_letter (subscription, cursor, event, "
          "failed_at_us, attempts, error) VALUES ($1, $2, $3, $4, $5, $6) "
          "ON CONFLICT (subscription, cursor) DO UPDATE SET "
          "failed_at_us = excluded.failed_at_us, attempts = "
          "excluded.attempts, error = excluded.error, retry = false",
          PgParams()
              .Text(subscription)
              .Int(d.cursor)
              .Bytes(d.event.SerializeAsString())
              .Int(d.failed_at_us)
              .Int(d.attempts)
              .Text(d.error));
      if (!r.ok()) return fail(r.status());
    }
    absl::StatusOr<PgResult> r = db.Query(
        "INSERT INTO webhook_position (subscription, position) VALUES ($1, "
        "$2) ON CONFLICT (subscription) DO UPDATE SET position = "
        "excluded.position",
        PgParams().Text(subscription).Int(position));
    if (!r.ok()) return fail(r.status());
    if (auto s = db.Exec("COMMIT"); !s.ok()) return fail(s);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<DeadLetter>> PgStore::DeadLetters(
    const std::string& subscription, bool only_retry, int limit) {
  return WithReader(
      [&](PgConnection& db) -> absl::StatusOr<std::vector<DeadLetter>> {
        absl::StatusOr<PgResult> rows = db.Query(
            "SELECT subscription, cursor, event, failed_at_us, attempts::int8, "
            "error, retry::int4::int8 FROM webhook_dead_letter WHERE ($1 = '' OR "
            "subscription = $1) AND ($2::int8 = 0 OR retry) ORDER BY "
            "subscription, cursor LIMIT $3",
            PgParams()
                .Text(subscription)
                .Int(only_retry ? 1 : 0)
                .Int(limit));
        if (!rows.ok()) return rows.status();
        std::vector<DeadLetter> letters;
        for (int i = 0; i < rows->rows(); ++i) {
          DeadLetter& d = letters.emplace_back();
          d.subscription = rows->Bytes(i, 0);
          d.cursor = rows->Int(i, 1);
          if (!d.event.ParseFromString(rows->Bytes(i, 2))) {
            return absl::DataLossError("a stored dead letter does not parse");
          }
          d.failed_at_us = rows->Int(i, 3);
          d.attempts = static_cast<int>(rows->Int(i, 4));
          d.error = rows->Bytes(i, 5);
          d.retry = rows->Int(i, 6) != 0;
        }
        return letters;
      });
}

absl::StatusOr<int> PgStore::RetryDeadLetters(const std::string& subscription,
                                              int64_t cursor) {
  return WithReader([&](PgConnection& db) -> absl::StatusOr<int> {
    absl::StatusOr<PgResult> rows = db.Query(
        "UPDATE webhook_dead_letter SET retry = true WHERE subscription = $1 "
        "AND ($2::int8 = 0 OR cursor = $2) RETURNING cursor",
        PgParams().Text(subscription).Int(cursor));
    if (!rows.ok()) return rows.status();
    return rows->rows();
  });
}

absl::Status PgStore::SettleDeadLetter(const std::string& subscription,
                                       int64_t cursor,
                                       const std::string& error) {
  return WithReader([&](PgConnection& db) -> absl::Status {
    absl::StatusOr<PgResult> r =
        error.empty()
            ? db.Query("DELETE FROM webhook_dead_letter WHERE subscription = "
                       "$1 AND cursor = $2",
                       PgParams().Text(subscription).Int(cursor))
            : db.Query("UPDATE webhook_dead_letter SET retry = false, "
                       "attempts = attempts + 1, error = $3 WHERE "
                       "subscription = $1 AND cursor = $2",
                       PgParams().Text(subscription).Int(cursor).Text(error));
    return r.status();
  });
}

absl::StatusOr<bool> PgStore::HoldWebhookLease(const std::string& holder,
                                               absl::Duration ttl) {
  return WithReader([&](PgConnection& db) -> absl::StatusOr<bool> {
    // The database's clock decides, so replicas' clocks need not agree.
    absl::StatusOr<PgResult> rows = db.Query(
        "INSERT INTO webhook_lease AS l (id, holder, until_us) VALUES (1, $1, "
        "(extract(epoch FROM clock_timestamp()) * 1000000)::int8 + $2) "
        "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, until_us = "
        "excluded.until_us WHERE l.holder = excluded.holder OR l.until_us < "
        "(extract(epoch FROM clock_timestamp()) * 1000000)::int8 "
        "RETURNING holder",
        PgParams().Text(holder).Int(absl::ToInt64Microseconds(ttl)));
    if (!rows.ok()) return rows.status();
    return rows->rows() == 1;
  });
}

}  // namespace leadrouter::server

// The embedded store's audit trail and config history, on the reader
// connection like the rep overrides: rare writes, outside routing's group
// commit, each durable (fsync) before the call returns.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/store/sqlite_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

using leadrouter::v1::AuditEvent;
using leadrouter::v1::GetConfigResponse;

absl::Status SqliteStore::AppendAudit(const std::vector<AuditEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::lock_guard lock(reader_mu_);
  if (auto s = reader_db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status s = [&]() -> absl::Status {
    auto q = reader_db_.Prepare(
        "INSERT INTO audit_events (at_us, principal, method, event) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!q.ok()) return q.status();
    for (const AuditEvent& e : events) {
      q->Reset();
      q->BindInt64(1, Micros(e.at()));
      q->BindText(2, e.principal());
      q->BindText(3, e.method());
      // The id is the row's; it is filled in when read.
      q->BindBlob(4, e.SerializeAsString());
      if (auto r = q->Run(); !r.ok()) return r;
    }
    return absl::OkStatus();
  }();
  if (!s.ok()) {
    reader_db_.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return reader_db_.Exec("COMMIT");
}

absl::StatusOr<std::vector<AuditEvent>> SqliteStore::ListAudit(
    const AuditQuery& query) {
  std::string sql = "SELECT id, event FROM audit_events WHERE 1";
  if (!query.principal.empty()) sql += " AND principal = ?1";
  if (!query.method.empty()) sql += " AND method = ?2";
  if (query.since_us != 0) sql += " AND at_us >= ?3";
  if (query.until_us != 0) sql += " AND at_us < ?4";
  if (query.before_id != 0) sql += " AND id < ?5";
  sql += " ORDER BY id DESC LIMIT ?6";
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(sql);
  if (!q.ok()) return q.status();
  if (!query.principal.empty()) q->BindText(1, query.principal);
  if (!query.method.empty()) q->BindText(2, query.method);
  if (query.since_us != 0) q->BindInt64(3, query.since_us);
  if (query.until_us != 0) q->BindInt64(4, query.until_us);
  if (query.before_id != 0) q->BindInt64(5, query.before_id);
  q->BindInt64(6, query.limit);
  std::vector<AuditEvent> events;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    AuditEvent& e = events.emplace_back();
    if (!e.ParseFromString(q->ColumnBlob(1))) {
      return absl::DataLossError("stored audit event does not parse");
    }
    e.set_id(q->ColumnInt64(0));
  }
  return events;
}

absl::Status SqliteStore::SaveConfigVersion(const GetConfigResponse& record) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "INSERT INTO config_versions (version, first_ran_us, record) "
      "VALUES (?1, ?2, ?3) ON CONFLICT (version) DO NOTHING");
  if (!q.ok()) return q.status();
  q->BindText(1, record.version());
  q->BindInt64(2, Micros(record.loaded_at()));
  q->BindBlob(3, record.SerializeAsString());
  return q->Run();
}

absl::StatusOr<GetConfigResponse> SqliteStore::ConfigVersion(
    const std::string& version) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT record FROM config_versions WHERE version = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, version);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(absl::StrCat(
        "version: \"", version.substr(0, 64), "\" never ran on this store"));
  }
  GetConfigResponse record;
  if (!record.ParseFromString(q->ColumnBlob(0))) {
    return absl::DataLossError("stored config version does not parse");
  }
  return record;
}

}  // namespace leadrouter::server

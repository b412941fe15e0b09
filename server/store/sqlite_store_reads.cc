// The embedded store's reads: one reader connection, its own lock, so reads
// never wait for routing (WAL readers see the last commit). The admins' rep
// overrides are written through it too: rare, and not part of routing's
// group commit.
#include <string>

#include "absl/strings/str_cat.h"
#include "server/store/sqlite_rows.h"
#include "server/store/sqlite_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

using leadrouter::v1::Assignment;
using leadrouter::v1::AssignmentEvent;

namespace {

// The events of a query selecting (seq, event), in its order.
absl::StatusOr<std::vector<AssignmentEvent>> EventRows(SqliteStatement& q) {
  std::vector<AssignmentEvent> events;
  while (true) {
    absl::StatusOr<bool> row = q.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<AssignmentEvent> e =
        ParseEvent(q.ColumnInt64(0), q.ColumnBlob(1));
    if (!e.ok()) return e.status();
    events.push_back(*std::move(e));
  }
  return events;
}

}  // namespace

routing::RoutingState SqliteStore::Snapshot() {
  std::lock_guard lock(mu_);
  return state_;
}

absl::StatusOr<Assignment> SqliteStore::Get(const std::string& lead_id) {
  std::lock_guard lock(reader_mu_);
  // One read transaction, so the history matches the assignment.
  if (auto s = reader_db_.Exec("BEGIN"); !s.ok()) return s;
  auto result = [&]() -> absl::StatusOr<Assignment> {
    auto q = reader_db_.Prepare(
        "SELECT assignment FROM assignments WHERE lead_id = ?1");
    if (!q.ok()) return q.status();
    q->BindText(1, lead_id);
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return absl::NotFoundError(
          absl::StrCat("lead_id: no assignment for lead \"", lead_id, "\""));
    }
    absl::StatusOr<Assignment> a = ParseAssignment(q->ColumnBlob(0));
    if (!a.ok()) return a.status();
    auto h = reader_db_.Prepare(
        "SELECT seq, event FROM events WHERE lead_id = ?1 ORDER BY seq");
    if (!h.ok()) return h.status();
    h->BindText(1, lead_id);
    while (true) {
      absl::StatusOr<bool> event = h->Step();
      if (!event.ok()) return event.status();
      if (!*event) break;
      absl::StatusOr<AssignmentEvent> e =
          ParseEvent(h->ColumnInt64(0), h->ColumnBlob(1));
      if (!e.ok()) return e.status();
      *a->add_history() = *std::move(e);
    }
    return a;
  }();
  reader_db_.Exec("COMMIT").IgnoreError();
  return result;
}

absl::StatusOr<AssignmentPage> SqliteStore::List(const AssignmentQuery& query) {
  std::string sql = "SELECT position, assignment FROM assignments WHERE "
                    "position > ?1";
  if (!query.rep_id.empty()) sql += " AND rep_id = ?2";
  if (!query.team_id.empty()) sql += " AND team_id = ?3";
  if (query.state != leadrouter::v1::ASSIGNMENT_STATE_UNSPECIFIED) {
    sql += " AND state = ?5";
  }
  if (query.arrived_from_us != 0) sql += " AND routed_at_us >= ?6";
  if (query.arrived_until_us != 0) sql += " AND routed_at_us < ?7";
  sql += " ORDER BY position LIMIT ?4";

  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindInt64(1, query.after_position);
  if (!query.rep_id.empty()) q->BindText(2, query.rep_id);
  if (!query.team_id.empty()) q->BindText(3, query.team_id);
  q->BindInt64(4, query.limit + 1);  // one more tells whether a page follows
  if (query.state != leadrouter::v1::ASSIGNMENT_STATE_UNSPECIFIED) {
    q->BindInt64(5, query.state);
  }
  if (query.arrived_from_us != 0) q->BindInt64(6, query.arrived_from_us);
  if (query.arrived_until_us != 0) q->BindInt64(7, query.arrived_until_us);

  AssignmentPage page;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.assignments.size()) == query.limit) {
      page.more = true;
      break;
    }
    absl::StatusOr<Assignment> a = ParseAssignment(q->ColumnBlob(1));
    if (!a.ok()) return a.status();
    page.last_position = q->ColumnInt64(0);
    page.assignments.push_back(*std::move(a));
  }
  return page;
}

absl::StatusOr<ReplayPage> SqliteStore::ReplayLeads(const ReplayQuery& query) {
  // The first event of each lead is its smallest seq (events_by_lead).
  std::string sql =
      "SELECT a.position, a.assignment, a.lead, coalesce(e.seq, 0), "
      "coalesce(e.event, x'') FROM assignments a LEFT JOIN events e ON "
      "e.seq = (SELECT min(seq) FROM events WHERE lead_id = a.lead_id) "
      "WHERE a.position > ?1";
  if (query.held_at_us != 0) {
    sql += " AND a.routed_at_us < ?5 AND a.rep_id <> '' AND (a.state IN (1, 3) "
           "OR (a.state = 4 AND a.closed_at_us > ?5))";
  }
  if (query.arrived_from_us != 0) sql += " AND a.routed_at_us >= ?3";
  if (query.arrived_until_us != 0) sql += " AND a.routed_at_us < ?4";
  if (!query.lead_ids.empty()) {
    sql += " AND a.lead_id IN (";
    for (size_t i = 0; i < query.lead_ids.size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "" : ", ", "?", 6 + i);
    }
    sql += ")";
  }
  sql += " ORDER BY a.position LIMIT ?2";

  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindInt64(1, query.after_position);
  q->BindInt64(2, query.limit + 1);  // one more tells whether a page follows
  if (query.held_at_us != 0) q->BindInt64(5, query.held_at_us);
  if (query.arrived_from_us != 0) q->BindInt64(3, query.arrived_from_us);
  if (query.arrived_until_us != 0) q->BindInt64(4, query.arrived_until_us);
  for (size_t i = 0; i < query.lead_ids.size(); ++i) {
    q->BindText(static_cast<int>(6 + i), query.lead_ids[i]);
  }
  ReplayPage page;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.leads.size()) == query.limit) {
      page.more = true;
      break;
    }
    routing::PastLead& past = page.leads.emplace_back();
    absl::StatusOr<Assignment> a = ParseAssignment(q->ColumnBlob(1));
    if (!a.ok()) return a.status();
    past.stored = *std::move(a);
    absl::StatusOr<leadrouter::v1::Lead> lead = ParseLead(q->ColumnBlob(2));
    if (!lead.ok()) return lead.status();
    past.lead = *std::move(lead);
    if (const int64_t seq = q->ColumnInt64(3); seq != 0) {
      absl::StatusOr<AssignmentEvent> e = ParseEvent(seq, q->ColumnBlob(4));
      if (!e.ok()) return e.status();
      past.first_event = *std::move(e);
    }
    page.last_position = q->ColumnInt64(0);
  }
  return page;
}

absl::StatusOr<std::vector<AssignmentEvent>> SqliteStore::TeamEventsBefore(
    int64_t before_us, int limit) {
  // Walks the cursor order back from the newest event: the window after
  // `before_us` is skipped, then `limit` rows are read.
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT seq, event FROM events WHERE at_us < ?1 AND team_id <> '' AND "
      "rep_id <> '' ORDER BY seq DESC LIMIT ?2");
  if (!q.ok()) return q.status();
  q->BindInt64(1, before_us);
  q->BindInt64(2, limit);
  absl::StatusOr<std::vector<AssignmentEvent>> events = EventRows(*q);
  if (!events.ok()) return events.status();
  return events;
}

absl::StatusOr<std::vector<AssignmentEvent>> SqliteStore::Events(
    const EventQuery& query) {
  std::string sql = "SELECT seq, event FROM events WHERE seq > ?1";
  if (!query.rep_id.empty()) {
    sql += " AND (rep_id = ?2 OR previous_rep_id = ?2)";
  }
  if (!query.team_id.empty()) sql += " AND team_id = ?3";
  sql += " ORDER BY seq LIMIT ?4";

  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindInt64(1, query.after);
  if (!query.rep_id.empty()) q->BindText(2, query.rep_id);
  if (!query.team_id.empty()) q->BindText(3, query.team_id);
  q->BindInt64(4, query.limit);
  absl::StatusOr<std::vector<AssignmentEvent>> events = EventRows(*q);
  if (!events.ok()) return events.status();
  // Read after the events: pruning raises the floor before it deletes.
  if (const int64_t oldest = stream_floor_.load(std::memory_order_acquire);
      query.after < oldest) {
    return CursorTooOld(query.after, oldest);
  }
  return events;
}

absl::StatusOr<std::vector<QueueDepth>> SqliteStore::Queues() {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT queue, count(*), min(routed_at_us) FROM assignments "
      "INDEXED BY assignments_waiting "
      "WHERE state = 2 GROUP BY queue ORDER BY queue");
  if (!q.ok()) return q.status();
  std::vector<QueueDepth> depths;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    QueueDepth d;
    d.queue = q->ColumnText(0);
    if (d.queue.starts_with("team/")) d.team_id = d.queue.substr(5);
    d.depth = q->ColumnInt64(1);
    d.oldest_queued_at_us = q->ColumnInt64(2);
    depths.push_back(std::move(d));
  }
  return depths;
}

absl::StatusOr<std::vector<MemberLeads>> SqliteStore::LeadsByMember(
    int64_t since_us) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT team_id, rep_id, count(*) FROM assignments "
      "WHERE routed_at_us >= ?1 AND team_id <> '' AND rep_id <> '' "
      "GROUP BY team_id, rep_id ORDER BY team_id, rep_id");
  if (!q.ok()) return q.status();
  q->BindInt64(1, since_us);
  std::vector<MemberLeads> counts;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    counts.push_back({q->ColumnText(0), q->ColumnText(1), q->ColumnInt64(2)});
  }
  return counts;
}

absl::StatusOr<std::vector<leadrouter::v1::RepOverride>>
SqliteStore::RepOverrides() {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT override FROM rep_override ORDER BY rep_id");
  if (!q.ok()) return q.status();
  std::vector<leadrouter::v1::RepOverride> overrides;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!overrides.emplace_back().ParseFromString(q->ColumnBlob(0))) {
      return absl::DataLossError("stored rep override does not parse");
    }
  }
  return overrides;
}

absl::Status SqliteStore::SaveRepOverride(
    const leadrouter::v1::RepOverride& override) {
  const bool keep = HoldsSettings(override);
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      keep ? "INSERT INTO rep_override (rep_id, override) VALUES (?1, ?2) "
             "ON CONFLICT (rep_id) DO UPDATE SET override = excluded.override"
           : "DELETE FROM rep_override WHERE rep_id = ?1");
  if (!q.ok()) return q.status();
  q->BindText(1, override.rep_id());
  if (keep) q->BindBlob(2, override.SerializeAsString());
  return q->Run();
}

}  // namespace leadrouter::server

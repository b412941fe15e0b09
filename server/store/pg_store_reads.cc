// The shared store's reads, the admins' overrides, the audit trail and the
// config history: on the reader pool, outside the routing lock. Each read is
// one statement (or one read-only transaction), so it sees committed rows
// only.
#include <string>

#include "absl/strings/str_cat.h"
#include "server/store/pg_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

using leadrouter::v1::Assignment;
using leadrouter::v1::AssignmentEvent;
using leadrouter::v1::AuditEvent;
using leadrouter::v1::GetConfigResponse;

absl::StatusOr<Assignment> PgStore::Get(const std::string& lead_id) {
  return WithReader([&](PgConnection& conn) -> absl::StatusOr<Assignment> {
    std::vector<PgResult> results;
    {
      // One snapshot, so the history matches the assignment.
      PgPipeline p(conn);
      p.SendSql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      p.SendSql("SELECT assignment FROM assignments WHERE lead_id = $1",
                PgParams().Text(lead_id));
      p.SendSql("SELECT seq, event FROM events WHERE lead_id = $1 ORDER BY seq",
                PgParams().Text(lead_id));
      p.SendSql("COMMIT");
      absl::StatusOr<std::vector<PgResult>> r = p.Sync();
      if (!r.ok()) return r.status();
      results = *std::move(r);
    }
    if (results[1].rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("lead_id: no assignment for lead \"", lead_id, "\""));
    }
    absl::StatusOr<Assignment> a = ParseAssignment(results[1].Bytes(0, 0));
    if (!a.ok()) return a.status();
    const PgResult& history = results[2];
    for (int i = 0; i < history.rows(); ++i) {
      absl::StatusOr<AssignmentEvent> e =
          ParseEvent(history.Int(i, 0), history.Bytes(i, 1));
      if (!e.ok()) return e.status();
      *a->add_history() = *std::move(e);
    }
    return a;
  });
}

absl::StatusOr<AssignmentPage> PgStore::List(const AssignmentQuery& query) {
  std::string sql =
      "SELECT position, assignment FROM assignments WHERE position > $1";
  PgParams params;
  params.Int(query.after_position);
  int n = 1;
  if (!query.rep_id.empty()) {
    absl::StrAppend(&sql, " AND rep_id = $", ++n);
    params.Text(query.rep_id);
  }
  if (!query.team_id.empty()) {
    absl::StrAppend(&sql, " AND team_id = $", ++n);
    params.Text(query.team_id);
  }
  if (query.state != leadrouter::v1::ASSIGNMENT_STATE_UNSPECIFIED) {
    absl::StrAppend(&sql, " AND state = $", ++n);
    params.Int(query.state);
  }
  if (query.arrived_from_us != 0) {
    absl::StrAppend(&sql, " AND routed_at_us >= $", ++n);
    params.Int(query.arrived_from_us);
  }
  if (query.arrived_until_us != 0) {
    absl::StrAppend(&sql, " AND routed_at_us < $", ++n);
    params.Int(query.arrived_until_us);
  }
  // One more row than asked tells whether a page follows.
  absl::StrAppend(&sql, " ORDER BY position LIMIT $", ++n);
  params.Int(query.limit + 1);

  return WithReader([&](PgConnection& conn) -> absl::StatusOr<AssignmentPage> {
    absl::StatusOr<PgResult> rows = conn.Query(sql, params);
    if (!rows.ok()) return rows.status();
    AssignmentPage page;
    for (int i = 0; i < rows->rows(); ++i) {
      if (static_cast<int>(page.assignments.size()) == query.limit) {
        page.more = true;
        break;
      }
      absl::StatusOr<Assignment> a = ParseAssignment(rows->Bytes(i, 1));
      if (!a.ok()) return a.status();
      page.last_position = rows->Int(i, 0);
      page.assignments.push_back(*std::move(a));
    }
    return page;
  });
}

absl::StatusOr<ReplayPage> PgStore::ReplayLeads(const ReplayQuery& query) {
  // The first event of each lead is its smallest seq (events_by_lead).
  std::string sql =
      "SELECT a.position, a.assignment, a.lead, coalesce(e.seq, 0), "
      "coalesce(e.event, ''::bytea) FROM assignments a LEFT JOIN events e ON "
      "e.seq = (SELECT min(seq) FROM events WHERE lead_id = a.lead_id) "
      "WHERE a.position > $1";
  PgParams params;
  params.Int(query.after_position);
  int n = 1;
  if (query.held_at_us != 0) {
    ++n;
    absl::StrAppend(&sql, " AND a.routed_at_us < $", n,
                    " AND a.rep_id <> '' AND (a.state IN (1, 3) OR "
                    "(a.state = 4 AND a.closed_at_us > $", n, "))");
    params.Int(query.held_at_us);
  }
  if (query.arrived_from_us != 0) {
    absl::StrAppend(&sql, " AND a.routed_at_us >= $", ++n);
    params.Int(query.arrived_from_us);
  }
  if (query.arrived_until_us != 0) {
    absl::StrAppend(&sql, " AND a.routed_at_us < $", ++n);
    params.Int(query.arrived_until_us);
  }
  if (!query.lead_ids.empty()) {
    absl::StrAppend(&sql, " AND a.lead_id = ANY($", ++n, "::text[])");
    params.TextArray(query.lead_ids);
  }
  // One more row than asked tells whether a page follows.
  absl::StrAppend(&sql, " ORDER BY a.position LIMIT $", ++n);
  params.Int(query.limit + 1);

  return WithReader([&](PgConnection& conn) -> absl::StatusOr<ReplayPage> {
    absl::StatusOr<PgResult> rows = conn.Query(sql, params);
    if (!rows.ok()) return rows.status();
    ReplayPage page;
    for (int i = 0; i < rows->rows(); ++i) {
      if (static_cast<int>(page.leads.size()) == query.limit) {
        page.more = true;
        break;
      }
      routing::PastLead& past = page.leads.emplace_back();
      absl::StatusOr<Assignment> a = ParseAssignment(rows->Bytes(i, 1));
      if (!a.ok()) return a.status();
      past.stored = *std::move(a);
      absl::StatusOr<leadrouter::v1::Lead> lead = ParseLead(rows->Bytes(i, 2));
      if (!lead.ok()) return lead.status();
      past.lead = *std::move(lead);
      if (const int64_t seq = rows->Int(i, 3); seq != 0) {
        absl::StatusOr<AssignmentEvent> e = ParseEvent(seq, rows->Bytes(i, 4));
        if (!e.ok()) return e.status();
        past.first_event = *std::move(e);
      }
      page.last_position = rows->Int(i, 0);
    }
    return page;
  });
}

absl::StatusOr<std::vector<AssignmentEvent>> PgStore::TeamEventsBefore(
    int64_t before_us, int limit) {
  // Walks the cursor order back from the newest event: the window after
  // `before_us` is skipped, then `limit` rows are read.
  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<std::vector<AssignmentEvent>> {
        absl::StatusOr<PgResult> rows = conn.Query(
            "SELECT seq, event FROM events WHERE at_us < $1 AND team_id <> '' "
            "AND rep_id <> '' ORDER BY seq DESC LIMIT $2",
            PgParams().Int(before_us).Int(limit));
        if (!rows.ok()) return rows.status();
        std::vector<AssignmentEvent> events;
        for (int i = 0; i < rows->rows(); ++i) {
          absl::StatusOr<AssignmentEvent> e =
              ParseEvent(rows->Int(i, 0), rows->Bytes(i, 1));
          if (!e.ok()) return e.status();
          events.push_back(*std::move(e));
        }
        return events;
      });
}

absl::StatusOr<std::vector<AssignmentEvent>> PgStore::Events(
    const EventQuery& query) {
  // The stream's floor is read in the same statement (one snapshot) as the
  // events, so a cursor whose successors were pruned is always noticed.
  std::string sql =
      "SELECT f.cursor, e.seq, e.event FROM stream_floor f LEFT JOIN LATERAL "
      "(SELECT seq, event FROM events WHERE seq > $1";
  PgParams params;
  params.Int(query.after);
  int n = 1;
  if (!query.rep_id.empty()) {
    ++n;
    absl::StrAppend(&sql, " AND (rep_id = $", n, " OR previous_rep_id = $", n,
                    ")");
    params.Text(query.rep_id);
  }
  if (!query.team_id.empty()) {
    absl::StrAppend(&sql, " AND team_id = $", ++n);
    params.Text(query.team_id);
  }
  absl::StrAppend(&sql, " ORDER BY seq LIMIT $", ++n,
                  ") e ON true ORDER BY e.seq");
  params.Int(query.limit);

  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<std::vector<AssignmentEvent>> {
        absl::StatusOr<PgResult> rows = conn.Query(sql, params);
        if (!rows.ok()) return rows.status();
        if (rows->rows() == 0) return absl::InternalError("no stream_floor");
        if (const int64_t oldest = rows->Int(0, 0); query.after < oldest) {
          return CursorTooOld(query.after, oldest);
        }
        std::vector<AssignmentEvent> events;
        events.reserve(rows->rows());
        for (int i = 0; i < rows->rows(); ++i) {
          if (rows->IsNull(i, 1)) continue;  // no event: the floor alone
          absl::StatusOr<AssignmentEvent> e =
              ParseEvent(rows->Int(i, 1), rows->Bytes(i, 2));
          if (!e.ok()) return e.status();
          events.push_back(*std::move(e));
        }
        return events;
      });
}

absl::StatusOr<std::vector<QueueDepth>> PgStore::Queues() {
  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<std::vector<QueueDepth>> {
        absl::StatusOr<PgResult> rows = conn.Query(
            "SELECT queue, count(*), min(routed_at_us) FROM assignments "
            "WHERE state = 2 GROUP BY queue ORDER BY queue");
        if (!rows.ok()) return rows.status();
        std::vector<QueueDepth> depths;
        for (int i = 0; i < rows->rows(); ++i) {
          QueueDepth d;
          d.queue = rows->Bytes(i, 0);
          if (d.queue.starts_with("team/")) d.team_id = d.queue.substr(5);
          d.depth = rows->Int(i, 1);
          d.oldest_queued_at_us = rows->Int(i, 2);
          depths.push_back(std::move(d));
        }
        return depths;
      });
}

absl::StatusOr<std::vector<MemberLeads>> PgStore::LeadsByMember(
    int64_t since_us) {
  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<std::vector<MemberLeads>> {
        absl::StatusOr<PgResult> rows = conn.Query(
            "SELECT team_id, rep_id, count(*) FROM assignments "
            "WHERE routed_at_us >= $1 AND team_id <> '' AND rep_id <> '' "
            "GROUP BY team_id, rep_id ORDER BY team_id, rep_id",
            PgParams().Int(since_us));
        if (!rows.ok()) return rows.status();
        std::vector<MemberLeads> counts;
        for (int i = 0; i < rows->rows(); ++i) {
          counts.push_back(
              {rows->Bytes(i, 0), rows->Bytes(i, 1), rows->Int(i, 2)});
        }
        return counts;
      });
}

absl::StatusOr<std::vector<leadrouter::v1::RepOverride>>
PgStore::RepOverrides() {
  return WithReader(
      [&](PgConnection& conn)
          -> absl::StatusOr<std::vector<leadrouter::v1::RepOverride>> {
        absl::StatusOr<PgResult> rows =
            conn.Query("SELECT override FROM rep_override ORDER BY rep_id");
        if (!rows.ok()) return rows.status();
        std::vector<leadrouter::v1::RepOverride> overrides;
        for (int i = 0; i < rows->rows(); ++i) {
          if (!overrides.emplace_back().ParseFromString(rows->Bytes(i, 0))) {
            return absl::DataLossError("stored rep override does not parse");
          }
        }
        return overrides;
      });
}

absl::Status PgStore::SaveRepOverride(
    const leadrouter::v1::RepOverride& override) {
  const bool keep = HoldsSettings(override);
  return WithReader([&](PgConnection& conn) -> absl::Status {
    if (keep) {
      return conn
          .Query(
              "INSERT INTO rep_override (rep_id, override) VALUES ($1, $2) "
              "ON CONFLICT (rep_id) DO UPDATE SET override = "
              "excluded.override",
              PgParams()
                  .Text(override.rep_id())
                  .Bytes(override.SerializeAsString()))
          .status();
    }
    return conn
        .Query("DELETE FROM rep_override WHERE rep_id = $1",
               PgParams().Text(override.rep_id()))
        .status();
  });
}

absl::Status PgStore::AppendAudit(const std::vector<AuditEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  absl::StatusOr<Reader> db = TakeReader();
  if (!db.ok()) return db.status();
  PgPipeline p(**db);
  p.SendSql("BEGIN");
  for (const AuditEvent& e : events) {
    // The id is the row's; it is filled in when read.
    p.SendSql(
        "INSERT INTO audit_events (at_us, principal, method, event) "
        "VALUES ($1, $2, $3, $4)",
        PgParams()
            .Int(Micros(e.at()))
            .Text(e.principal())
            .Text(e.method())
            .Bytes(e.SerializeAsString()));
  }
  p.SendSql("COMMIT");
  absl::StatusOr<std::vector<PgResult>> r = p.Sync();
  if (!r.ok()) {
    p.SendSql("ROLLBACK");
    p.Sync().IgnoreError();
  }
  return r.status();
}

absl::StatusOr<std::vector<AuditEvent>> PgStore::ListAudit(
    const AuditQuery& query) {
  std::string sql = "SELECT id, event FROM audit_events WHERE true";
  PgParams params;
  int n = 0;
  if (!query.principal.empty()) {
    absl::StrAppend(&sql, " AND principal = $", ++n);
    params.Text(query.principal);
  }
  if (!query.method.empty()) {
    absl::StrAppend(&sql, " AND method = $", ++n);
    params.Text(query.method);
  }
  if (query.since_us != 0) {
    absl::StrAppend(&sql, " AND at_us >= $", ++n);
    params.Int(query.since_us);
  }
  if (query.until_us != 0) {
    absl::StrAppend(&sql, " AND at_us < $", ++n);
    params.Int(query.until_us);
  }
  if (query.before_id != 0) {
    absl::StrAppend(&sql, " AND id < $", ++n);
    params.Int(query.before_id);
  }
  absl::StrAppend(&sql, " ORDER BY id DESC LIMIT $", ++n);
  params.Int(query.limit);
  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<std::vector<AuditEvent>> {
        absl::StatusOr<PgResult> rows = conn.Query(sql, params);
        if (!rows.ok()) return rows.status();
        std::vector<AuditEvent> events;
        for (int i = 0; i < rows->rows(); ++i) {
          AuditEvent& e = events.emplace_back();
          if (!e.ParseFromString(rows->Bytes(i, 1))) {
            return absl::DataLossError("stored audit event does not parse");
          }
          e.set_id(rows->Int(i, 0));
        }
        return events;
      });
}

absl::Status PgStore::SaveConfigVersion(const GetConfigResponse& record) {
  return WithReader([&](PgConnection& conn) -> absl::Status {
    return conn
        .Query(
            "INSERT INTO config_versions (version, first_ran_us, record) "
            "VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
            PgParams()
                .Text(record.version())
                .Int(Micros(record.loaded_at()))
                .Bytes(record.SerializeAsString()))
        .status();
  });
}

absl::StatusOr<GetConfigResponse> PgStore::ConfigVersion(
    const std::string& version) {
  return WithReader(
      [&](PgConnection& conn) -> absl::StatusOr<GetConfigResponse> {
        absl::StatusOr<PgResult> rows =
            conn.Query("SELECT record FROM config_versions WHERE version = $1",
                       PgParams().Text(version));
        if (!rows.ok()) return rows.status();
        if (rows->rows() == 0) {
          return absl::NotFoundError(
              absl::StrCat("version: \"", version.substr(0, 64),
                           "\" never ran on this store"));
        }
        GetConfigResponse record;
        if (!record.ParseFromString(rows->Bytes(0, 0))) {
          return absl::DataLossError("stored config version does not parse");
        }
        return record;
      });
}

}  // namespace leadrouter::server

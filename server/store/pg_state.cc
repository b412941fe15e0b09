#include "server/store/pg_state.h"

#include <map>
#include <utility>
#include <vector>

namespace leadrouter::server {
namespace {

struct Statement {
  const char* name;
  const char* sql;
};

constexpr Statement kStatements[] = {
    // The capacity is replaced only when the count grows: a lowered
    // capacity never refuses the close that brings a rep back under it.
    {"state_open",
     "INSERT INTO rep_load (rep_id, open_count, capacity, changed_at) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (rep_id) DO UPDATE SET "
     "open_count = excluded.open_count, capacity = CASE WHEN "
     "excluded.open_count > rep_load.open_count THEN excluded.capacity ELSE "
     "rep_load.capacity END, changed_at = excluded.changed_at"},
    {"state_rotation",
     "INSERT INTO team_rotation (team_id, last_rep_id, changed_at) VALUES "
     "($1, $2, $3) ON CONFLICT (team_id) DO UPDATE SET "
     "last_rep_id = excluded.last_rep_id, changed_at = excluded.changed_at"},
    {"state_credit",
     "INSERT INTO rotation_credit (team_id, rep_id, credit, changed_at) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, rep_id) DO UPDATE SET "
     "credit = excluded.credit, changed_at = excluded.changed_at"},
    {"state_daily",
     "INSERT INTO rep_daily (rep_id, day, assigned, changed_at) VALUES "
     "($1, $2, $3, $4) ON CONFLICT (rep_id) DO UPDATE SET day = excluded.day, "
     "assigned = excluded.assigned, changed_at = excluded.changed_at"},
    {"state_company",
     "INSERT INTO company_owner (team_id, domain, rep_id, open_count, ord, "
     "changed_at) VALUES ($1, $2, $3, $4, nextval('company_owner_ord'), $5) "
     "ON CONFLICT (team_id, domain, rep_id) DO UPDATE SET "
     "open_count = excluded.open_count, ord = CASE WHEN "
     "company_owner.open_count = 0 THEN excluded.ord ELSE company_owner.ord "
     "END, changed_at = excluded.changed_at"},
    {"state_away",
     "INSERT INTO catch_up (team_id, rep_id, away, owed, changed_at) VALUES "
     "($1, $2, $3, $4, $5) ON CONFLICT (team_id, rep_id) DO UPDATE SET "
     "away = excluded.away, owed = excluded.owed, "
     "changed_at = excluded.changed_at"},
};

}  // namespace

absl::Status PreparePgStateStatements(PgConnection& db) {
  for (const Statement& s : kStatements) {
    if (auto r = db.Prepare(s.name, s.sql); !r.ok()) return r;
  }
  return absl::OkStatus();
}

absl::Status RefreshPgState(PgConnection& db, int64_t since,
                            routing::RoutingState* state) {
  const bool whole = since < 0;
  // A whole load skips the zero rows (removed values); a refresh needs them.
  const char* where = whole ? "" : " WHERE changed_at > $1";
  PgParams params;
  if (!whole) params.Int(since);
  std::vector<PgResult> results;
  {
    PgPipeline p(db);
    auto send = [&](std::string sql) { p.SendSql(sql, params); };
    send(std::string("SELECT rep_id, open_count FROM rep_load") + where);
    send(std::string("SELECT team_id, last_rep_id FROM team_rotation") + where);
    send(std::string("SELECT team_id, rep_id, credit FROM rotation_credit") +
         where);
    send(std::string("SELECT rep_id, day, assigned FROM rep_daily") + where);
    send(std::string("SELECT team_id, rep_id, away::int, owed FROM catch_up") +
         where);
    // Companies: every owner of each (team, domain) that changed, in the
    // order they first got it, so the order matches every other replica's.
    send(whole ? "SELECT team_id, domain, rep_id, open_count FROM "
                 "company_owner WHERE open_count > 0 ORDER BY ord"
               : "SELECT c.team_id, c.domain, c.rep_id, c.open_count FROM "
                 "company_owner c WHERE (c.team_id, c.domain) IN (SELECT "
                 "team_id, domain FROM company_owner WHERE changed_at > $1) "
                 "AND c.open_count > 0 ORDER BY c.ord");
    if (!whole) {
      p.SendSql(
          "SELECT DISTINCT team_id, domain FROM company_owner WHERE "
          "changed_at > $1",
          params);
    }
    absl::StatusOr<std::vector<PgResult>> r = p.Sync();
    if (!r.ok()) return r.status();
    results = *std::move(r);
  }
  routing::RoutingState fresh;
  routing::RoutingState& s = whole ? fresh : *state;
  const PgResult& open = results[0];
  for (int i = 0; i < open.rows(); ++i) {
    s.SetOpenAssignments(open.Bytes(i, 0), static_cast<int>(open.Int(i, 1)));
  }
  const PgResult& rotation = results[1];
  for (int i = 0; i < rotation.rows(); ++i) {
    s.SetLastAssigned(rotation.Bytes(i, 0), rotation.Bytes(i, 1));
  }
  const PgResult& credit = results[2];
  for (int i = 0; i < credit.rows(); ++i) {
    s.SetCredit(credit.Bytes(i, 0), credit.Bytes(i, 1), credit.Int(i, 2));
  }
  const PgResult& daily = results[3];
  for (int i = 0; i < daily.rows(); ++i) {
    s.SetDaily(daily.Bytes(i, 0),
               {daily.Int(i, 1), static_cast<int>(daily.Int(i, 2))});
  }
  const PgResult& away = results[4];
  for (int i = 0; i < away.rows(); ++i) {
    s.SetAway(away.Bytes(i, 0), away.Bytes(i, 1),
              {away.Int(i, 2) != 0, static_cast<int>(away.Int(i, 3))});
  }
  if (!whole) {
    // Forget the owners of every changed company, then add them back in
    // their stored order.
    const PgResult& touched = results[6];
    for (int i = 0; i < touched.rows(); ++i) {
      const std::string team = touched.Bytes(i, 0);
      const std::string domain = touched.Bytes(i, 1);
      const routing::RoutingState::CompanyReps* owners =
          s.CompanyOwners(team, domain);
      if (owners == nullptr) continue;
      const routing::RoutingState::CompanyReps copy = *owners;
      for (const auto& [rep, n] : copy) s.SetCompanyOpen(team, domain, rep, 0);
    }
  }
  const PgResult& companies = results[5];
  for (int i = 0; i < companies.rows(); ++i) {
    s.SetCompanyOpen(companies.Bytes(i, 0), companies.Bytes(i, 1),
                     companies.Bytes(i, 2),
                     static_cast<int>(companies.Int(i, 3)));
  }
  if (whole) *state = std::move(fresh);
  return absl::OkStatus();
}

void SendPgStateChanges(
    PgPipeline& p, const routing::StateChanges& changes, int64_t version,
    const std::function<std::optional<int>(const std::string&)>& capacity) {
  for (const auto& c : changes.open) {
    PgParams params;
    params.Text(c.rep_id).Int(c.count);
    std::optional<int> limit = capacity ? capacity(c.rep_id) : std::nullopt;
    limit.has_value() ? params.Int(*limit) : params.Null();
    p.Send("state_open", params.Int(version));
  }
  for (const auto& c : changes.rotation) {
    p.Send("state_rotation",
           PgParams().Text(c.team_id).Text(c.rep_id).Int(version));
  }
  for (const auto& c : changes.credits) {
    p.Send(
        "state_credit",
        PgParams().Text(c.team_id).Text(c.rep_id).Int(c.credit).Int(version));
  }
  for (const auto& c : changes.daily) {
    p.Send("state_daily", PgParams()
                              .Text(c.rep_id)
                              .Int(c.value.day)
                              .Int(c.value.count)
                              .Int(version));
  }
  for (const auto& c : changes.companies) {
    p.Send("state_company", PgParams()
                                .Text(c.team_id)
                                .Text(c.domain)
                                .Text(c.rep_id)
                                .Int(c.open > 0 ? c.open : 0)
                                .Int(version));
  }
  for (const auto& c : changes.catch_up) {
    p.Send("state_away", PgParams()
                             .Text(c.team_id)
                             .Text(c.rep_id)
                             .Text(c.value.away ? "true" : "false")
                             .Int(c.value.owed)
                             .Int(version));
  }
}

}  // namespace leadrouter::server

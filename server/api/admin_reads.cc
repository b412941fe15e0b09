#include "server/api/admin_reads.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "routing/fairness.h"
#include "server/api/page_token.h"
#include "server/api/request_checks.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {

absl::StatusOr<leadrouter::v1::ListRepsResponse> ReadReps(
    const routing::RoutingTable& table, AssignmentStore& store, absl::Time now,
    const leadrouter::v1::ListRepsRequest& request) {
  leadrouter::v1::ListRepsResponse response;
  const routing::CompiledTeam* team = nullptr;
  if (!request.team_id().empty()) {
    team = table.FindTeam(request.team_id());
    if (team == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "team_id: no team \"", request.team_id().substr(0, 64),
          "\" in the running config"));
    }
  }
  const int days = request.fairness_days() == 0 ? 7 : request.fairness_days();
  if (days < 1 || days > 365) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fairness_days: ", request.fairness_days(),
        " is outside 1 to 365 (0: 7)"));
  }
  const routing::RoutingState state = store.Snapshot();
  absl::StatusOr<std::vector<MemberLeads>> counts = store.LeadsByMember(
      absl::ToUnixMicros(now - absl::Hours(24) * days));
  if (!counts.ok()) return counts.status();
  // Fairness per team, and each member's part of it.
  absl::flat_hash_map<std::string, routing::TeamFairness> fairness;
  for (routing::TeamFairness& f : routing::TeamsFairness(table, *counts)) {
    if (team != nullptr && f.team_id != team->team->id()) continue;
    leadrouter::v1::TeamFairness* out = response.add_teams();
    out->set_team_id(f.team_id);
    out->set_leads(f.leads);
    out->set_max_deviation(f.max_deviation);
    out->set_most_deviating_rep_id(f.most_deviating_rep);
    fairness.emplace(f.team_id, std::move(f));
  }
  response.set_fairness_days(days);
  for (const auto& rep : table.config().reps()) {
    const routing::CompiledRep& r = *table.FindRep(rep.id());
    if (team != nullptr &&
        std::find(r.team_ids.begin(), r.team_ids.end(), team->team->id()) ==
            r.team_ids.end()) {
      continue;
    }
    leadrouter::v1::RepStatus* s = response.add_reps();
    s->set_rep_id(rep.id());
    for (const std::string& t : r.team_ids) s->add_team_ids(t);
    s->set_open_assignments(state.OpenAssignments(rep.id()));
    s->set_capacity(rep.capacity());
    s->set_assigned_today(
        state.AssignedOnDay(rep.id(), r.availability.LocalDay(now)));
    s->set_daily_cap(rep.daily_cap());
    s->set_active(!rep.has_active() || rep.active());
    s->set_out_of_office(r.availability.OutOfOffice(now));
    s->set_within_working_hours(r.availability.WithinWorkingHours(now));
    s->set_available(s->active() && !s->out_of_office() &&
                     s->open_assignments() < s->capacity() &&
                     (s->daily_cap() == 0 ||
                      s->assigned_today() < s->daily_cap()));
    for (const std::string& t : r.team_ids) {
      auto f = fairness.find(t);
      if (f == fairness.end()) continue;
      for (const routing::MemberShare& m : f->second.members) {
        if (m.rep_id != rep.id()) continue;
        leadrouter::v1::TeamShare* share = s->add_shares();
        share->set_team_id(t);
        share->set_leads(m.leads);
        share->set_share(m.share);
        share->set_received(m.received);
      }
    }
  }
  return response;
}

absl::StatusOr<leadrouter::v1::ListAuditEventsResponse> ReadAuditEvents(
    AssignmentStore& store,
    const leadrouter::v1::ListAuditEventsRequest& request) {
  leadrouter::v1::ListAuditEventsResponse response;
  if (request.page_size() < 0 || request.page_size() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", request.page_size(), " is outside 0 to 1000"));
  }
  if (request.principal().size() > 64) {
    return absl::InvalidArgumentError("principal: is longer than 64 bytes");
  }
  if (request.method().size() > 200) {
    return absl::InvalidArgumentError("method: is longer than 200 bytes");
  }
  if (auto s = CheckTimestamp(request.since(), "since"); !s.ok()) return s;
  if (auto s = CheckTimestamp(request.until(), "until"); !s.ok()) return s;
  AuditQuery query;
  query.principal = request.principal();
  query.method = request.method();
  query.since_us = Micros(request.since());
  query.until_us = Micros(request.until());
  const std::string filters =
      absl::StrCat("audit\x1f", query.principal, "\x1f", query.method,
                   "\x1f", query.since_us, "\x1f", query.until_us);
  absl::StatusOr<int64_t> before =
      DecodePageToken(request.page_token(), filters);
  if (!before.ok()) return before.status();
  query.before_id = *before;
  query.limit = request.page_size() == 0 ? 100 : request.page_size();
  // One more than asked tells whether another page follows.
  query.limit += 1;
  absl::StatusOr<std::vector<leadrouter::v1::AuditEvent>> events =
      store.ListAudit(query);
  if (!events.ok()) return events.status();
  const bool more = static_cast<int>(events->size()) == query.limit;
  if (more) events->pop_back();
  for (auto& e : *events) *response.add_events() = std::move(e);
  if (more && response.events_size() > 0) {
    response.set_next_page_token(EncodePageToken(
        response.events(response.events_size() - 1).id(), filters));
  }
  return response;
}

}  // namespace leadrouter::server

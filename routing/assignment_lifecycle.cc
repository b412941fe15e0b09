// Every step checks its arguments first (INVALID_ARGUMENT), then the etag
// (ABORTED: the caller's copy is stale), then the state (FAILED_PRECONDITION
// naming it), so a client learns the most useful thing first.
#include "routing/assignment_lifecycle.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "routing/timestamps.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::AssignmentEvent;
using leadrouter::v1::AssignmentEventType;
using leadrouter::v1::Lead;

constexpr char kErasedCompany[] = "[erased company]";

std::string NextEtag(const Assignment& a) {
  int64_t version = 0;
  if (!absl::SimpleAtoi(a.etag(), &version)) version = 0;
  return absl::StrCat(version + 1);
}

absl::Status CheckEtag(const Assignment& current, std::string_view etag) {
  if (etag.empty() || etag == current.etag()) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(
      "etag: \"", ToAbsl(etag), "\" is stale; lead ", current.lead_id(),
      " changed since (now etag \"", current.etag(), "\", ",
      StateName(current.state()), "); read it again"));
}

absl::Status CheckNote(std::string_view note) {
  if (note.size() <= kMaxNoteBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("note: is longer than ", kMaxNoteBytes, " bytes"));
}

absl::Status WrongState(const Assignment& current, std::string_view action,
                        std::string_view needed) {
  return absl::FailedPreconditionError(absl::StrCat(
      "lead ", current.lead_id(), " is ", StateName(current.state()),
      "; only ", ToAbsl(needed), " leads can be ", ToAbsl(action)));
}

AssignmentEvent MakeEvent(AssignmentEventType type, const Assignment& after,
                          absl::Time now) {
  AssignmentEvent e;
  e.set_type(type);
  e.set_lead_id(after.lead_id());
  SetTimestamp(now, e.mutable_time());
  e.set_state(after.state());
  e.set_rep_id(after.rep_id());
  e.set_queue(after.queue());
  e.set_team_id(after.team_id());
  e.set_close_outcome(after.close_outcome());
  e.set_etag(after.etag());
  return e;
}

AssignmentEventType PlacedType(const Assignment& a) {
  return a.state() == leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED
             ? leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED
             : leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED;
}

void Append(StateChanges from, StateChanges* to) {
  auto move = [](auto& src, auto& dst) {
    for (auto& x : src) dst.push_back(std::move(x));
  };
  move(from.open, to->open);
  move(from.rotation, to->rotation);
  move(from.credits, to->credits);
  move(from.daily, to->daily);
  move(from.companies, to->companies);
  move(from.catch_up, to->catch_up);
}

// What the rep of an open lead gives back: one open lead, one lead of the
// company; and which waiting queues that may unblock.
void Release(const RoutingTable& table, const Assignment& current,
             const RoutingState& state, LeadChange* change) {
  const std::string& rep = current.rep_id();
  change->changes.open.push_back(
      {rep, std::max(0, state.OpenAssignments(rep) - 1)});
  const std::string& domain = current.trace().company_domain();
  if (!domain.empty() && !current.team_id().empty()) {
    if (const auto* owners = state.CompanyOwners(current.team_id(), domain)) {
      for (const auto& [id, open] : *owners) {
        if (id == rep) {
          change->changes.companies.push_back(
              {current.team_id(), domain, rep, open - 1});
        }
      }
    }
  }
  change->freed_queues.push_back(absl::StrCat("rep/", rep));
  if (const CompiledRep* r = table.FindRep(rep)) {
    for (const std::string& team : r->team_ids) {
      change->freed_queues.push_back(absl::StrCat("team/", team));
    }
  }
}

// What a lead routed again keeps from its record.
void CarryOver(const Assignment& from, Assignment* to) {
  if (from.has_queued_at()) *to->mutable_queued_at() = from.queued_at();
  *to->mutable_declined_rep_ids() = from.declined_rep_ids();
  to->set_sla_reroutes(from.sla_reroutes());
  to->set_escalated(from.escalated());
  to->set_etag(NextEtag(from));
}

// Routes a lead again after `rep` let go of it (rejection, lapse; `declined`
// already lists them) and records where it went: REASSIGNED or QUEUED,
// explained by `why`.
void RouteAgain(const RoutingTable& table, const Lead& lead,
                const Assignment& declined, const std::string& rep,
                std::string_view why, const RoutingState& state,
                absl::Time now, LeadChange* change) {
  Decision d = Decide(table, lead, state, now, &declined);
  CarryOver(declined, &d.assignment);
  change->assignment = std::move(d.assignment);
  Append(std::move(d.changes), &change->changes);
  const Assignment& a = change->assignment;
  AssignmentEvent e = MakeEvent(
      a.state() == leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED
          ? leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED
          : leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED,
      a, now);
  e.set_previous_rep_id(rep);
  e.set_reason(absl::StrCat(ToAbsl(why), "; ", a.trace().summary()));
  change->events.push_back(std::move(e));
}

void ScrubTrace(std::string_view domain, leadrouter::v1::RoutingTrace* trace) {
  trace->clear_company_domain();
  if (domain.empty()) return;
  const absl::string_view from = ToAbsl(domain);
  trace->set_summary(
      absl::StrReplaceAll(trace->summary(), {{from, kErasedCompany}}));
  for (auto& c : *trace->mutable_candidates()) {
    c.set_detail(absl::StrReplaceAll(c.detail(), {{from, kErasedCompany}}));
  }
}

}  // namespace

std::string StateName(leadrouter::v1::AssignmentState state) {
  std::string name = leadrouter::v1::AssignmentState_Name(state);
  constexpr std::string_view kPrefix = "ASSIGNMENT_STATE_";
  return name.starts_with(kPrefix) ? name.substr(kPrefix.size()) : name;
}

LeadChange Routed(Decision decision) {
  LeadChange change;
  change.assignment = std::move(decision.assignment);
  change.changes = std::move(decision.changes);
  Assignment& a = change.assignment;
  a.set_etag("1");
  AssignmentEvent e = MakeEvent(PlacedType(a), a, ToTime(a.routed_at()));
  e.set_reason(a.trace().summary());
  change.events.push_back(std::move(e));
  return change;
}

LeadChange Rerouted(const RoutingTable& table, const Lead& lead,
                    const Assignment& stored, const RoutingState& state,
                    absl::Time now) {
  // An escalated lead waits for its escalation rep, not for the rules.
  Decision d;
  const std::string& queue = stored.queue();
  if (stored.escalated() && queue.starts_with("rep/") &&
      table.FindRep(std::string_view(queue).substr(4)) != nullptr) {
    leadrouter::v1::Target target;
    target.set_rep(queue.substr(4));
    d = DecideEscalation(table, lead, state, now, stored, target);
  } else {
    d = Decide(table, lead, state, now, &stored);
  }
  LeadChange change;
  CarryOver(stored, &d.assignment);
  change.assignment = std::move(d.assignment);
  change.changes = std::move(d.changes);
  AssignmentEvent e = MakeEvent(PlacedType(change.assignment),
                                change.assignment, now);
  e.set_reason(change.assignment.trace().summary());
  change.events.push_back(std::move(e));
  return change;
}

absl::StatusOr<LeadChange> Accept(const Assignment& current,
                                  std::string_view etag, absl::Time now) {
  if (auto s = CheckEtag(current, etag); !s.ok()) return s;
  if (current.state() != leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED) {
    return WrongState(current, "accepted", "ASSIGNED");
  }
  LeadChange change;
  Assignment& a = change.assignment = current;
  a.set_state(leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED);
  SetTimestamp(now, a.mutable_accepted_at());
  a.clear_respond_by();
  a.set_etag(NextEtag(current));
  change.events.push_back(
      MakeEvent(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ACCEPTED, a, now));
  return change;
}

absl::StatusOr<LeadChange> Reject(const RoutingTable& table, const Lead& lead,
                                  const Assignment& current,
                                  const RoutingState& state,
                                  std::string_view etag, std::string_view note,
                                  absl::Time now) {
  if (auto s = CheckNote(note); !s.ok()) return s;
  if (auto s = CheckEtag(current, etag); !s.ok()) return s;
  if (current.state() != leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED) {
    return WrongState(current, "rejected", "ASSIGNED");
  }
  LeadChange change;
  Release(table, current, state, &change);
  Assignment declined = current;
  declined.add_declined_rep_ids(current.rep_id());

  const std::string why = absl::StrCat("rejected by ", current.rep_id());
  AssignmentEvent& rejected = change.events.emplace_back(
      MakeEvent(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REJECTED, current, now));
  rejected.clear_rep_id();
  rejected.set_previous_rep_id(current.rep_id());
  rejected.set_note(std::string(note));
  rejected.set_reason(why);
  RouteAgain(table, lead, declined, current.rep_id(), why, state, now, &change);
  change.events.front().set_etag(change.assignment.etag());
  return change;
}

absl::StatusOr<LeadChange> Close(const RoutingTable& table,
                                 const Assignment& current,
                                 const RoutingState& state,
                                 std::string_view etag,
                                 leadrouter::v1::CloseOutcome outcome,
                                 std::string_view note, absl::Time now) {
  if (outcome != leadrouter::v1::CLOSE_OUTCOME_WON &&
      outcome != leadrouter::v1::CLOSE_OUTCOME_LOST &&
      outcome != leadrouter::v1::CLOSE_OUTCOME_OTHER) {
    return absl::InvalidArgumentError(
        "outcome: must be CLOSE_OUTCOME_WON, CLOSE_OUTCOME_LOST or "
        "CLOSE_OUTCOME_OTHER");
  }
  if (auto s = CheckNote(note); !s.ok()) return s;
  if (auto s = CheckEtag(current, etag); !s.ok()) return s;
  if (current.state() != leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED) {
    return WrongState(current, "closed", "ACCEPTED");
  }
  LeadChange change;
  Release(table, current, state, &change);
  Assignment& a = change.assignment = current;
  a.set_state(leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
  SetTimestamp(now, a.mutable_closed_at());
  a.set_close_outcome(outcome);
  a.set_close_note(std::string(note));
  a.set_etag(NextEtag(current));
  AssignmentEvent e =
      MakeEvent(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_CLOSED, a, now);
  e.set_note(std::string(note));
  change.events.push_back(std::move(e));
  return change;
}

std::optional<LeadChange> ExpireResponseTime(const RoutingTable& table,
                                             const Lead& lead,
                                             const Assignment& current,
                                             const RoutingState& state,
                                             absl::Time now) {
  if (current.state() != leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED ||
      !current.has_respond_by() ||
      ToTime(current.respond_by()) > now) {
    return std::nullopt;
  }
  LeadChange change;
  const CompiledTeam* team = table.FindTeam(current.team_id());
  if (team == nullptr || team->accept_within <= absl::ZeroDuration()) {
    // The config dropped the response time: the clock just stops.
    change.assignment = current;
    change.assignment.clear_respond_by();
    change.assignment.set_etag(NextEtag(current));
    return change;
  }
  const leadrouter::v1::ResponseSla& sla = team->team->response_sla();
  const std::string& rep = current.rep_id();
  Release(table, current, state, &change);
  Assignment lapsed = current;
  lapsed.add_declined_rep_ids(rep);
  lapsed.set_sla_reroutes(current.sla_reroutes() + 1);
  const std::string why =
      absl::StrCat("not accepted by ", rep, " within ", sla.accept_within());

  if (lapsed.sla_reroutes() > sla.max_reroutes()) {
    Decision d =
        DecideEscalation(table, lead, state, now, lapsed, sla.escalate_to());
    CarryOver(lapsed, &d.assignment);
    d.assignment.set_escalated(true);
    change.assignment = std::move(d.assignment);
    Append(std::move(d.changes), &change.changes);
    AssignmentEvent e = MakeEvent(
        leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ESCALATED, change.assignment, now);
    e.set_previous_rep_id(rep);
    e.set_reason(absl::StrCat(why, " after ", sla.max_reroutes(),
                              " re-routes; ",
                              change.assignment.trace().summary()));
    change.events.push_back(std::move(e));
    return change;
  }
  RouteAgain(table, lead, lapsed, rep, why, state, now, &change);
  return change;
}

std::optional<LeadChange> Erase(const RoutingTable& table, const Lead& lead,
                                const Assignment& current,
                                const RoutingState& state, absl::Time now) {
  if (current.erased()) return std::nullopt;
  LeadChange change;
  Lead kept;
  kept.set_id(lead.id());
  kept.set_country_code(lead.country_code());
  kept.set_region_code(lead.region_code());
  kept.set_language(lead.language());
  *kept.mutable_product_interests() = lead.product_interests();
  kept.set_score(lead.score());
  kept.set_stage(lead.stage());
  kept.set_source(lead.source());
  kept.set_industry(lead.industry());
  kept.set_employee_count(lead.employee_count());
  if (lead.has_created_at()) *kept.mutable_created_at() = lead.created_at();
  change.lead = std::move(kept);
  change.scrub_history = true;
  change.scrubbed_domain = current.trace().company_domain();

  const bool open =
      current.state() == leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED ||
      current.state() == leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED;
  if (open) Release(table, current, state, &change);
  Assignment& a = change.assignment = current;
  if (a.state() != leadrouter::v1::ASSIGNMENT_STATE_CLOSED) {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
    a.set_close_outcome(leadrouter::v1::CLOSE_OUTCOME_ERASED);
    SetTimestamp(now, a.mutable_closed_at());
    a.clear_queue();
    a.clear_respond_by();
  }
  ScrubTrace(current.trace().company_domain(), a.mutable_trace());
  a.clear_close_note();
  a.set_erased(true);
  a.set_etag(NextEtag(current));
  AssignmentEvent e =
      MakeEvent(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ERASED, a, now);
  if (open) e.set_previous_rep_id(current.rep_id());
  e.set_reason("personal data erased");
  change.events.push_back(std::move(e));
  return change;
}

void ScrubEvent(std::string_view company_domain, AssignmentEvent* event) {
  event->clear_note();
  if (company_domain.empty()) return;
  event->set_reason(absl::StrReplaceAll(
      event->reason(), {{ToAbsl(company_domain), kErasedCompany}}));
}

}  // namespace leadrouter::routing

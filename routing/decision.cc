// A target is tried as a unit (Attempt): it yields either a rep, a named
// queue, or nobody; the rule's fallback is tried only on nobody. Every rep
// looked at is written into the trace with the reason it was passed over.
#include "routing/decision.h"

#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Candidate;
using leadrouter::v1::Rep;
using leadrouter::v1::RoutingTrace;
using leadrouter::v1::Target;

struct Attempt {
  const Rep* rep = nullptr;     // chosen rep, if any
  std::string named_queue;      // the target was a named queue
  std::string team_id;          // the team that picked, if any
  std::string waiting_queue;    // where the lead waits if nobody is eligible
};

// Eligibility of one rep, written into `candidate`. True when eligible.
bool Evaluate(const Rep& rep, const RoutingState& state, Candidate* candidate) {
  const int open = state.OpenAssignments(rep.id());
  candidate->set_rep_id(rep.id());
  candidate->set_open_assignments(open);
  candidate->set_capacity(rep.capacity());
  if (rep.has_active() && !rep.active()) {
    candidate->set_pass_over_reason(leadrouter::v1::PASS_OVER_REASON_INACTIVE);
    candidate->set_detail("inactive");
    return false;
  }
  if (open >= rep.capacity()) {
    candidate->set_pass_over_reason(
        leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY);
    candidate->set_detail(absl::StrCat("at capacity (", open, " of ",
                                       rep.capacity(), " open)"));
    return false;
  }
  return true;
}

Attempt TryTeam(const RoutingTable& table, const leadrouter::v1::Team& team,
                const RoutingState& state, RoutingTrace* trace) {
  Attempt attempt;
  attempt.team_id = team.id();
  attempt.waiting_queue = absl::StrCat("team/", team.id());
  trace->set_team_id(team.id());
  trace->set_strategy("ROUND_ROBIN");

  // Round robin continues after the rep who got the previous lead; if that
  // rep left the team, it starts again at the first member.
  const int n = team.members_size();
  int start = 0;
  std::string_view last = state.LastAssigned(team.id());
  for (int i = 0; i < n && !last.empty(); ++i) {
    if (team.members(i) == last) {
      start = (i + 1) % n;
      break;
    }
  }
  for (int k = 0; k < n; ++k) {
    const Rep& rep = *table.FindRep(team.members((start + k) % n));
    Candidate* candidate = trace->add_candidates();
    const bool eligible = Evaluate(rep, state, candidate);
    if (!eligible) continue;
    if (attempt.rep == nullptr) {
      attempt.rep = &rep;
      candidate->set_chosen(true);
      candidate->set_detail("next eligible in rotation");
    } else {
      candidate->set_pass_over_reason(
          leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
      candidate->set_detail(
          absl::StrCat("eligible; rotation gave the lead to ",
                       attempt.rep->id()));
    }
  }
  return attempt;
}

Attempt TryTarget(const RoutingTable& table, const Target& target,
                  const RoutingState& state, RoutingTrace* trace) {
  switch (target.kind_case()) {
    case Target::kTeam:
      return TryTeam(table, *table.FindTeam(target.team()), state, trace);
    case Target::kRep: {
      Attempt attempt;
      attempt.waiting_queue = absl::StrCat("rep/", target.rep());
      const Rep& rep = *table.FindRep(target.rep());
      Candidate* candidate = trace->add_candidates();
      if (Evaluate(rep, state, candidate)) {
        attempt.rep = &rep;
        candidate->set_chosen(true);
        candidate->set_detail("named by the rule");
      }
      return attempt;
    }
    case Target::kQueue: {
      Attempt attempt;
      attempt.named_queue = target.queue();
      return attempt;
    }
    case Target::KIND_NOT_SET:
      break;
  }
  return Attempt{};  // unreachable for a validated table
}

std::string Describe(const Target& target) {
  switch (target.kind_case()) {
    case Target::kTeam:
      return absl::StrCat("team ", target.team());
    case Target::kRep:
      return absl::StrCat("rep ", target.rep());
    case Target::kQueue:
      return absl::StrCat("queue ", target.queue());
    case Target::KIND_NOT_SET:
      break;
  }
  return "nothing";
}

// Fills the assignment and decision from the attempt that decided.
void Settle(const Attempt& attempt, Decision* decision) {
  Assignment& a = decision->assignment;
  a.set_team_id(attempt.team_id);
  a.mutable_trace()->set_team_id(attempt.team_id);
  if (attempt.rep != nullptr) {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
    a.set_rep_id(attempt.rep->id());
    decision->reserved_rep_id = attempt.rep->id();
    decision->rotation_team_id = attempt.team_id;
  } else {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
    a.set_queue(attempt.named_queue);
  }
}

}  // namespace

Decision Decide(const RoutingTable& table, const leadrouter::v1::Lead& lead,
                const RoutingState& state, absl::Time now) {
  Decision decision;
  Assignment& a = decision.assignment;
  a.set_lead_id(lead.id());
  a.set_config_version(table.version());
  const int64_t micros = absl::ToUnixMicros(now);
  a.mutable_routed_at()->set_seconds(micros / 1000000);
  a.mutable_routed_at()->set_nanos(static_cast<int32_t>(micros % 1000000) *
                                   1000);
  RoutingTrace* trace = a.mutable_trace();

  const LeadFacts facts(lead);
  const CompiledRule* rule = table.MatchRule(facts);
  if (rule == nullptr) {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
    a.set_queue(kUnmatchedQueue);
    trace->set_rule_index(-1);
    trace->set_summary("no rule matched; queued in unmatched");
    return decision;
  }
  a.set_rule_id(rule->rule->id());
  trace->set_rule_id(rule->rule->id());
  trace->set_rule_index(rule->index);
  const std::string matched = absl::StrCat("rule ", rule->rule->id(),
                                           " matched");

  Attempt primary = TryTarget(table, rule->rule->target(), state, trace);
  if (primary.rep != nullptr || !primary.named_queue.empty()) {
    Settle(primary, &decision);
    trace->set_summary(
        primary.rep != nullptr
            ? absl::StrCat(matched, "; ", Describe(rule->rule->target()),
                           " gave the lead to rep ", primary.rep->id())
            : absl::StrCat(matched, "; queued in ", primary.named_queue));
    return decision;
  }
  const std::string nobody = absl::StrCat(
      matched, "; nobody eligible in ", Describe(rule->rule->target()));
  if (rule->rule->has_fallback()) {
    Attempt fallback = TryTarget(table, rule->rule->fallback(), state, trace);
    if (fallback.rep != nullptr || !fallback.named_queue.empty()) {
      trace->set_used_fallback(true);
      Settle(fallback, &decision);
      trace->set_summary(absl::StrCat(
          nobody, "; fallback ", Describe(rule->rule->fallback()),
          fallback.rep != nullptr
              ? absl::StrCat(" gave the lead to rep ", fallback.rep->id())
              : std::string(" took the lead")));
      return decision;
    }
  }
  // Nobody anywhere: the lead waits for the primary target.
  a.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  a.set_queue(primary.waiting_queue);
  a.set_team_id(primary.team_id);
  trace->set_team_id(primary.team_id);
  trace->set_summary(absl::StrCat(
      nobody, rule->rule->has_fallback() ? " nor in the fallback" : "",
      "; waiting in ", primary.waiting_queue));
  return decision;
}

void ApplyDecision(const Decision& decision, RoutingState* state) {
  if (decision.reserved_rep_id.empty()) return;
  state->SetOpenAssignments(
      decision.reserved_rep_id,
      state->OpenAssignments(decision.reserved_rep_id) + 1);
  if (!decision.rotation_team_id.empty()) {
    state->SetLastAssigned(decision.rotation_team_id,
                           decision.reserved_rep_id);
  }
}

}  // namespace leadrouter::routing

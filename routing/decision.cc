// A target is tried as a unit (Attempt): it yields either a rep, a named
// queue, or nobody; the rule's fallback is tried only on nobody. Every rep
// looked at is written into the trace with the reason it was passed over.
// Eligibility is in eligibility.cc, how a team picks in team_pick.cc.
#include "routing/decision.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "routing/accounts.h"
#include "routing/attempt.h"
#include "routing/company.h"
#include "routing/timestamps.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Candidate;
using leadrouter::v1::PassOverReason;
using leadrouter::v1::RoutingTrace;
using leadrouter::v1::Target;

// The owner of the lead's account, while eligible. A lead of no account
// (or without a business domain) has nobody here and nowhere to wait: the
// rule's fallback takes it.
Attempt TryAccountOwner(const Context& ctx, const Needs& needs,
                        RoutingTrace* trace) {
  Attempt attempt;
  const AccountBook::Match* account =
      ctx.domain.empty() ? nullptr : ctx.table.accounts().Find(ctx.domain);
  if (account == nullptr) return attempt;
  trace->set_account_domain(account->domain);
  attempt.waiting_queue = absl::StrCat("rep/", account->owner);
  const CompiledRep& owner = *ctx.table.FindRep(account->owner);
  Candidate* candidate = trace->add_candidates();
  if (Check(owner, ctx, needs, candidate) ==
      leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED) {
    attempt.rep = &owner;
    attempt.how = absl::StrCat("account owner of ", account->domain);
    candidate->set_chosen(true);
    candidate->set_detail(attempt.how);
  }
  return attempt;
}

Attempt TryTarget(const Target& target, const Context& ctx, Needs needs,
                  RoutingTrace* trace) {
  switch (target.kind_case()) {
    case Target::kTeam:
      return TryTeam(*ctx.table.FindTeam(target.team()), ctx, needs, trace);
    case Target::kRep: {
      Attempt attempt;
      attempt.waiting_queue = absl::StrCat("rep/", target.rep());
      const CompiledRep& rep = *ctx.table.FindRep(target.rep());
      Candidate* candidate = trace->add_candidates();
      if (Check(rep, ctx, needs, candidate) ==
          leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED) {
        attempt.rep = &rep;
        attempt.how = "named by the rule";
        candidate->set_chosen(true);
        candidate->set_detail(attempt.how);
      }
      return attempt;
    }
    case Target::kQueue: {
      Attempt attempt;
      attempt.named_queue = target.queue();
      return attempt;
    }
    case Target::kAccountOwner:
      return TryAccountOwner(ctx, needs, trace);
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
    case Target::kAccountOwner:
      return "account owner";
    case Target::KIND_NOT_SET:
      break;
  }
  return "nothing";
}

// Fills the assignment and changes from the attempt that decided.
void Settle(Attempt& attempt, const Context& ctx, Decision* decision) {
  Assignment& a = decision->assignment;
  a.set_team_id(attempt.team_id);
  a.mutable_trace()->set_team_id(attempt.team_id);
  a.mutable_trace()->set_same_company(attempt.same_company);
  decision->changes = std::move(attempt.changes);
  if (attempt.rep != nullptr) {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
    a.set_rep_id(attempt.rep->rep->id());
    Reserve(*attempt.rep, ctx, &decision->changes);
    if (attempt.team != nullptr &&
        attempt.team->accept_within > absl::ZeroDuration()) {
      SetTimestamp(ctx.now + attempt.team->accept_within,
                   a.mutable_respond_by());
    }
  } else {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
    a.set_queue(attempt.named_queue);
    SetTimestamp(ctx.now, a.mutable_queued_at());
  }
}

}  // namespace

bool IsWaitingQueue(const std::string& queue) {
  return absl::StartsWith(queue, "team/") || absl::StartsWith(queue, "rep/");
}

Decision Decide(const RoutingTable& table, const leadrouter::v1::Lead& lead,
                const RoutingState& state, absl::Time now,
                const Assignment* previous) {
  Decision decision;
  Assignment& a = decision.assignment;
  a.set_lead_id(lead.id());
  a.set_config_version(table.version());
  SetTimestamp(now, a.mutable_routed_at());
  RoutingTrace* trace = a.mutable_trace();

  const LeadFacts facts(lead);
  const Context ctx{table, facts, state, now, CompanyDomain(lead),
                    previous == nullptr ? nullptr
                                        : &previous->declined_rep_ids()};
  trace->set_company_domain(ctx.domain);
  const CompiledRule* rule = table.MatchRule(facts);
  if (rule == nullptr) {
    a.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
    a.set_queue(kUnmatchedQueue);
    SetTimestamp(now, a.mutable_queued_at());
    trace->set_rule_index(-1);
    trace->set_summary("no rule matched; queued in unmatched");
    return decision;
  }
  const leadrouter::v1::Rule& r = *rule->rule;
  a.set_rule_id(r.id());
  trace->set_rule_id(r.id());
  trace->set_rule_index(rule->index);
  const std::string matched = absl::StrCat("rule ", r.id(), " matched");
  const Needs needs{r.requirements().language(), r.requirements().product_skill(),
                    false};
  trace->set_required_language(needs.language);
  trace->set_required_product_skill(needs.product_skill);

  auto describe_outcome = [](const Attempt& attempt) {
    return attempt.rep != nullptr
               ? absl::StrCat(" gave the lead to rep ", attempt.rep->rep->id(),
                              " (", attempt.how, ")")
               : std::string(" took the lead");
  };

  Attempt primary = TryTarget(r.target(), ctx, needs, trace);
  if (primary.rep != nullptr || !primary.named_queue.empty()) {
    trace->set_summary(
        primary.rep != nullptr
            ? absl::StrCat(matched, "; ", Describe(r.target()),
                           describe_outcome(primary))
            : absl::StrCat(matched, "; queued in ", primary.named_queue));
    Settle(primary, ctx, &decision);
    return decision;
  }
  const std::string nobody =
      absl::StrCat(matched, "; nobody eligible in ", Describe(r.target()));
  Attempt fallback;
  if (r.has_fallback()) {
    fallback = TryTarget(r.fallback(), ctx, needs, trace);
    if (fallback.rep != nullptr || !fallback.named_queue.empty()) {
      trace->set_used_fallback(true);
      trace->set_summary(absl::StrCat(nobody, "; fallback ",
                                      Describe(r.fallback()),
                                      describe_outcome(fallback)));
      // The primary team's ledger still records who was away.
      StateChanges away = std::move(primary.changes);
      Settle(fallback, ctx, &decision);
      for (auto& c : away.catch_up) {
        decision.changes.catch_up.push_back(std::move(c));
      }
      return decision;
    }
  }
  // Nobody anywhere: the lead waits for the primary target, or for the
  // fallback when the primary has no place to wait (an account_owner
  // target for a lead of no account).
  if (primary.waiting_queue.empty()) {
    fallback.named_queue = fallback.waiting_queue;
    Settle(fallback, ctx, &decision);
    trace->set_summary(absl::StrCat(nobody, " nor in the fallback; waiting in ",
                                    fallback.waiting_queue));
    return decision;
  }
  primary.named_queue = primary.waiting_queue;
  Settle(primary, ctx, &decision);
  trace->set_summary(absl::StrCat(
      nobody, r.has_fallback() ? " nor in the fallback" : "",
      "; waiting in ", primary.waiting_queue));
  return decision;
}

Decision DecideEscalation(const RoutingTable& table,
                          const leadrouter::v1::Lead& lead,
                          const RoutingState& state, absl::Time now,
                          const Assignment& previous, const Target& target) {
  Decision decision;
  Assignment& a = decision.assignment;
  a.set_lead_id(lead.id());
  a.set_config_version(table.version());
  a.set_rule_id(previous.rule_id());
  SetTimestamp(now, a.mutable_routed_at());
  RoutingTrace* trace = a.mutable_trace();
  trace->set_rule_id(previous.rule_id());
  trace->set_rule_index(previous.trace().rule_index());

  const LeadFacts facts(lead);
  // The escalation rep gets the lead even if they declined it once: it is
  // theirs to decide now.
  const Context ctx{table, facts, state, now, CompanyDomain(lead), nullptr};
  trace->set_company_domain(ctx.domain);
  Attempt attempt = TryTarget(target, ctx, Needs{}, trace);
  if (attempt.rep == nullptr && attempt.named_queue.empty()) {
    attempt.named_queue = attempt.waiting_queue;
  }
  Settle(attempt, ctx, &decision);
  trace->set_summary(
      attempt.rep != nullptr
          ? absl::StrCat("escalated to rep ", attempt.rep->rep->id())
          : absl::StrCat("escalated; waiting in ", attempt.named_queue));
  return decision;
}

}  // namespace leadrouter::routing

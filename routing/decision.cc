// A target is tried as a unit (Attempt): it yields either a rep, a named
// queue, or nobody; the rule's fallback is tried only on nobody. Every rep
// looked at is written into the trace with the reason it was passed over.
#include "routing/decision.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "routing/company.h"
#include "routing/timestamps.h"
#include "routing/trace_text.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Candidate;
using leadrouter::v1::PassOverReason;
using leadrouter::v1::RoutingTrace;
using leadrouter::v1::Target;

// What every rep has to offer for this lead through this target.
struct Needs {
  bool language = false;
  bool product_skill = false;
  bool working_hours = false;
};

// The lead and moment being decided, shared by every attempt.
struct Context {
  const RoutingTable& table;
  const LeadFacts& facts;
  const RoutingState& state;
  absl::Time now;
  std::string domain;  // company domain; empty when none
  // Reps who rejected the lead or let it lapse; never chosen again.
  const google::protobuf::RepeatedPtrField<std::string>* declined = nullptr;
};

struct Attempt {
  const CompiledRep* rep = nullptr;  // chosen rep, if any
  std::string named_queue;           // the target was a named queue
  std::string team_id;               // the team that picked, if any
  const CompiledTeam* team = nullptr;  // that team
  std::string waiting_queue;         // where the lead waits if nobody is
  std::string how;                   // how the rep was picked, for the summary
  bool same_company = false;
  StateChanges changes;              // team bookkeeping of this attempt
};

bool IsAbsence(PassOverReason reason) {
  return reason == leadrouter::v1::PASS_OVER_REASON_INACTIVE ||
         reason == leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE;
}

// Eligibility of one rep; fills the facts of `candidate`. UNSPECIFIED means
// eligible.
PassOverReason Check(const CompiledRep& rep, const Context& ctx,
                     const Needs& needs, Candidate* candidate) {
  const leadrouter::v1::Rep& r = *rep.rep;
  const int open = ctx.state.OpenAssignments(r.id());
  const int today = ctx.state.AssignedOnDay(
      r.id(), rep.availability.LocalDay(ctx.now));
  candidate->set_rep_id(r.id());
  candidate->set_open_assignments(open);
  candidate->set_capacity(r.capacity());
  candidate->set_assigned_today(today);
  candidate->set_daily_cap(r.daily_cap());
  auto pass = [&](PassOverReason reason, std::string detail) {
    candidate->set_pass_over_reason(reason);
    candidate->set_detail(std::move(detail));
    return reason;
  };
  if (ctx.declined != nullptr &&
      std::find(ctx.declined->begin(), ctx.declined->end(), r.id()) !=
          ctx.declined->end()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_DECLINED, kDeclinedDetail);
  }
  if (r.has_active() && !r.active()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_INACTIVE, kInactiveDetail);
  }
  if (rep.availability.OutOfOffice(ctx.now)) {
    return pass(leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE,
                kOutOfOfficeDetail);
  }
  if (needs.working_hours && !rep.availability.WithinWorkingHours(ctx.now)) {
    return pass(leadrouter::v1::PASS_OVER_REASON_OUTSIDE_WORKING_HOURS,
                absl::StrCat("outside working hours (local time ",
                             absl::FormatTime("%a %H:%M", ctx.now,
                                              rep.availability.zone()),
                             ")"));
  }
  if (needs.language && !ctx.facts.language().empty() &&
      !rep.languages.contains(ctx.facts.language())) {
    return pass(leadrouter::v1::PASS_OVER_REASON_LANGUAGE,
                absl::StrCat("does not speak ", ctx.facts.language()));
  }
  if (needs.product_skill && !ctx.facts.products().empty() &&
      std::none_of(ctx.facts.products().begin(), ctx.facts.products().end(),
                   [&](const std::string& p) {
                     return rep.products.contains(p);
                   })) {
    return pass(leadrouter::v1::PASS_OVER_REASON_PRODUCT_SKILL,
                kProductSkillDetail);
  }
  if (open >= r.capacity()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY,
                AtCapacityDetail(open, r.capacity()));
  }
  if (r.daily_cap() > 0 && today >= r.daily_cap()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_DAILY_CAP,
                DailyCapDetail(today, r.daily_cap()));
  }
  return leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED;
}

// What storing the lead with `rep` reserves: open load and today's count.
void Reserve(const CompiledRep& rep, const Context& ctx,
             StateChanges* changes) {
  const std::string& id = rep.rep->id();
  changes->open.push_back({id, ctx.state.OpenAssignments(id) + 1});
  const int64_t day = rep.availability.LocalDay(ctx.now);
  changes->daily.push_back(
      {id, DailyCount{day, ctx.state.AssignedOnDay(id, day) + 1}});
}

const char* StrategyName(leadrouter::v1::TeamStrategy s) {
  switch (s) {
    case leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN:
      return "WEIGHTED_ROUND_ROBIN";
    case leadrouter::v1::TEAM_STRATEGY_LEAST_LOADED:
      return "LEAST_LOADED";
    default:
      return "ROUND_ROBIN";
  }
}

Attempt TryTeam(const CompiledTeam& ct, const Context& ctx, Needs needs,
                RoutingTrace* trace) {
  const leadrouter::v1::Team& team = *ct.team;
  const RoutingState& state = ctx.state;
  Attempt attempt;
  attempt.team_id = team.id();
  attempt.team = &ct;
  attempt.waiting_queue = absl::StrCat("team/", team.id());
  trace->set_team_id(team.id());
  trace->set_strategy(StrategyName(team.strategy()));
  needs.language |= team.requirements().language();
  needs.product_skill |= team.requirements().product_skill();
  needs.working_hours = team.use_working_hours();
  trace->set_required_language(needs.language);
  trace->set_required_product_skill(needs.product_skill);

  // Candidates are written straight into the trace in member order and put
  // in the order considered at the end (deciding allocates little).
  const int n = static_cast<int>(ct.members.size());
  const int first_candidate = trace->candidates_size();
  absl::InlinedVector<Candidate*, 16> candidates(n);
  absl::InlinedVector<PassOverReason, 16> reason(n);
  absl::InlinedVector<CatchUp, 16> away(n);
  int64_t eligible_weight = 0;
  for (int i = 0; i < n; ++i) {
    candidates[i] = trace->add_candidates();
    reason[i] = Check(*ct.members[i], ctx, needs, candidates[i]);
    away[i] = state.Away(team.id(), ct.members[i]->rep->id());
    if (reason[i] == leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED) {
      eligible_weight += ct.weights[i];
    }
  }
  auto eligible = [&](int i) {
    return reason[i] == leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED;
  };

  // Rotation order: after the rep who got the team's previous lead; from the
  // first member if that rep left the team.
  absl::InlinedVector<int, 16> order(n);
  {
    int start = 0;
    const std::string_view last = state.LastAssigned(team.id());
    for (int i = 0; i < n && !last.empty(); ++i) {
      if (ct.members[i]->rep->id() == last) {
        start = (i + 1) % n;
        break;
      }
    }
    for (int k = 0; k < n; ++k) order[k] = (start + k) % n;
  }
  // The strategy's preference, a stable reordering of the rotation.
  absl::InlinedVector<int64_t, 16> credit(n, 0);
  absl::InlinedVector<int, 16> load(n, 0);
  switch (team.strategy()) {
    case leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN:
      // Smooth weighted round robin: every eligible rep earns its weight,
      // the highest credit wins and pays the eligible total back.
      for (int i = 0; i < n; ++i) {
        credit[i] = state.Credit(team.id(), ct.members[i]->rep->id()) +
                    (eligible(i) ? ct.weights[i] : 0);
      }
      std::sort(order.begin(), order.end(),
                [&](int a, int b) { return credit[a] != credit[b]
                                               ? credit[a] > credit[b]
                                               : a < b; });
      break;
    case leadrouter::v1::TEAM_STRATEGY_LEAST_LOADED: {
      // A rep back from an absence counts as loaded as the least loaded of
      // the others until level with them, so an empty desk is not flooded.
      for (int i = 0; i < n; ++i) load[i] = candidates[i]->open_assignments();
      int others_min = std::numeric_limits<int>::max();
      for (int i = 0; i < n; ++i) {
        if (eligible(i) && !away[i].away) others_min = std::min(others_min, load[i]);
      }
      if (others_min != std::numeric_limits<int>::max()) {
        for (int i = 0; i < n; ++i) {
          if (away[i].away) load[i] = std::max(load[i], others_min);
        }
      }
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return load[a] < load[b]; });
      break;
    }
    default:
      break;
  }

  // 1. Same company, same rep, while that rep is eligible.
  int chosen = -1;
  if (!ctx.domain.empty()) {
    if (const auto* owners = state.CompanyOwners(team.id(), ctx.domain)) {
      for (const auto& [rep_id, open] : *owners) {
        for (int i = 0; i < n && chosen < 0; ++i) {
          if (eligible(i) && ct.members[i]->rep->id() == rep_id) chosen = i;
        }
        if (chosen >= 0) break;
      }
    }
    if (chosen >= 0) {
      attempt.same_company = true;
      attempt.how = absl::StrCat("owns an open lead of ", ctx.domain);
    }
  }
  // 2. A catch-up owed after an absence, the most owed first.
  if (chosen < 0 && team.catch_up_limit() > 0) {
    for (int i : order) {
      if (eligible(i) && away[i].owed > 0 &&
          (chosen < 0 || away[i].owed > away[chosen].owed)) {
        chosen = i;
      }
    }
    if (chosen >= 0) {
      attempt.how = absl::StrCat("catch-up after an absence, ",
                                 away[chosen].owed, " owed");
    }
  }
  // 3. The strategy.
  const bool by_strategy = chosen < 0;
  if (by_strategy) {
    for (int i : order) {
      if (eligible(i)) {
        chosen = i;
        break;
      }
    }
    if (chosen >= 0) {
      switch (team.strategy()) {
        case leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN:
          attempt.how = absl::StrCat("by weighted round robin, weight ",
                                     ct.weights[chosen], " of ",
                                     eligible_weight, " eligible");
          break;
        case leadrouter::v1::TEAM_STRATEGY_LEAST_LOADED:
          attempt.how = absl::StrCat("by least loaded, ", load[chosen],
                                     " open");
          break;
        default:
          attempt.how = "by round robin";
      }
    }
  }

  // The trace lists reps in the order they were considered.
  absl::InlinedVector<int, 16> considered;
  if (chosen >= 0 && !by_strategy) considered.push_back(chosen);
  for (int i : order) {
    if (by_strategy || i != chosen) considered.push_back(i);
  }
  auto slots = trace->mutable_candidates()->pointer_begin() + first_candidate;
  for (int k = 0; k < n; ++k) slots[k] = candidates[considered[k]];
  for (int i : considered) {
    Candidate& c = *candidates[i];
    if (i == chosen) {
      c.set_chosen(true);
      c.set_detail(attempt.how);
    } else if (eligible(i)) {
      c.set_pass_over_reason(
          attempt.same_company
              ? leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER
              : leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
      c.set_detail(
          RotationDetail(ct.members[chosen]->rep->id(), attempt.same_company));
    }
  }

  // Bookkeeping: rotation, credits, the absence ledger.
  StateChanges& changes = attempt.changes;
  if (chosen >= 0) {
    attempt.rep = ct.members[chosen];
    const std::string& rep_id = attempt.rep->rep->id();
    if (by_strategy) {
      changes.rotation.push_back({team.id(), rep_id});
      if (team.strategy() ==
          leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN) {
        for (int i = 0; i < n; ++i) {
          if (!eligible(i)) continue;
          changes.credits.push_back(
              {team.id(), ct.members[i]->rep->id(),
               credit[i] - (i == chosen ? eligible_weight : 0)});
        }
      }
    }
    if (!ctx.domain.empty()) {
      int open = 0;
      if (const auto* owners = state.CompanyOwners(team.id(), ctx.domain)) {
        for (const auto& [id, count] : *owners) {
          if (id == rep_id) open = count;
        }
      }
      changes.companies.push_back({team.id(), ctx.domain, rep_id, open + 1});
    }
  }
  const int limit = team.catch_up_limit();
  for (int i = 0; i < n; ++i) {
    CatchUp next = away[i];
    if (IsAbsence(reason[i])) {
      next.away = true;
      if (chosen >= 0 && limit > 0) next.owed = std::min(limit, next.owed + 1);
    } else if (away[i].away || away[i].owed > 0) {
      if (i == chosen && !by_strategy && !attempt.same_company) {
        next.owed = std::max(0, next.owed - 1);
      }
      if (!eligible(i)) {
        // Back, but not eligible for another reason: keep the ledger.
      } else if (next.owed == 0 &&
                 (team.strategy() != leadrouter::v1::TEAM_STRATEGY_LEAST_LOADED ||
                  candidates[i]->open_assignments() + (i == chosen ? 1 : 0) >=
                      load[i])) {
        next.away = false;  // level with the team again
      }
    }
    if (next.away != away[i].away || next.owed != away[i].owed) {
      changes.catch_up.push_back({team.id(), ct.members[i]->rep->id(), next});
    }
  }
  return attempt;
}

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

// How a team picks among its members: the same company's rep first, then a
// member owed leads after an absence (catch-up), then the team's strategy
// (round robin, weighted round robin, least loaded). Every member is
// written into the trace with the reason it was passed over.
#include <algorithm>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "routing/timestamps.h"
#include "routing/trace_text.h"
#include "routing/attempt.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Candidate;
using leadrouter::v1::PassOverReason;
using leadrouter::v1::RoutingTrace;

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


}  // namespace

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


}  // namespace leadrouter::routing

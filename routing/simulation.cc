#include "routing/simulation.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "routing/fairness.h"
#include "routing/timestamps.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Placement;

bool SamePlacement(const Placement& a, const Placement& b) {
  return a.state() == b.state() && a.rule_id() == b.rule_id() &&
         a.team_id() == b.team_id() && a.rep_id() == b.rep_id() &&
         a.queue() == b.queue();
}

// Ids in `order` first, then the others sorted, "" (none) last.
template <typename Counts>
void AddCounts(const absl::flat_hash_map<std::string, Counts>& counts,
               const std::vector<std::string>& order,
               google::protobuf::RepeatedPtrField<v1::SimulationCount>* out) {
  absl::flat_hash_set<std::string> listed;
  auto add = [&](const std::string& id) {
    auto it = counts.find(id);
    if (it == counts.end() || !listed.insert(id).second) return;
    v1::SimulationCount* c = out->Add();
    c->set_id(id);
    c->set_stored(it->second.stored);
    c->set_simulated(it->second.simulated);
  };
  for (const std::string& id : order) {
    if (!id.empty()) add(id);
  }
  std::vector<std::string> rest;
  for (const auto& [id, unused] : counts) {
    if (!id.empty() && !listed.contains(id)) rest.push_back(id);
  }
  std::sort(rest.begin(), rest.end());
  for (const std::string& id : rest) add(id);
  add("");
}

}  // namespace

Placement PlacementOf(const Assignment& a) {
  Placement p;
  p.set_rule_id(a.rule_id());
  p.set_team_id(a.team_id());
  if (a.state() == v1::ASSIGNMENT_STATE_QUEUED) {
    p.set_state(v1::ASSIGNMENT_STATE_QUEUED);
    p.set_queue(a.queue());
  } else {
    p.set_state(v1::ASSIGNMENT_STATE_ASSIGNED);
    p.set_rep_id(a.rep_id());
  }
  return p;
}

Placement StoredPlacement(const PastLead& past) {
  const v1::AssignmentEvent& e = past.first_event;
  if (e.type() != v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED &&
      e.type() != v1::ASSIGNMENT_EVENT_TYPE_QUEUED) {
    return PlacementOf(past.stored);
  }
  Placement p;
  p.set_rule_id(past.stored.rule_id());
  p.set_team_id(e.team_id());
  if (e.type() == v1::ASSIGNMENT_EVENT_TYPE_QUEUED) {
    p.set_state(v1::ASSIGNMENT_STATE_QUEUED);
    p.set_queue(e.queue());
  } else {
    p.set_state(v1::ASSIGNMENT_STATE_ASSIGNED);
    p.set_rep_id(e.rep_id());
  }
  return p;
}

Simulation::Simulation(const RoutingTable& draft, int max_changed_leads)
    : draft_(draft), max_changed_leads_(max_changed_leads) {}

void Simulation::ReleaseUntil(absl::Time now) {
  while (!releases_.empty() && releases_.top().at <= now) {
    const Release& r = releases_.top();
    // Closing the simulated lead gives back what holding it reserved.
    absl::StatusOr<LeadChange> closed =
        Close(draft_, r.held, state_, r.held.etag(),
              v1::CLOSE_OUTCOME_OTHER, "", r.at);
    if (closed.ok()) ApplyChanges(closed->changes, &state_);
    releases_.pop();
  }
}

void Simulation::Replay(const PastLead& past) {
  if (past.stored.erased()) {
    ++skipped_erased_;
    return;
  }
  const absl::Time now = ToTime(past.stored.routed_at());
  ReleaseUntil(now);
  Decision d = Decide(draft_, past.lead, state_, now);
  ApplyChanges(d.changes, &state_);
  if (replayed_++ == 0) first_arrival_ = now;
  last_arrival_ = now;

  const Placement stored = StoredPlacement(past);
  const Placement simulated = PlacementOf(d.assignment);
  Count(stored, simulated);
  if (!SamePlacement(stored, simulated)) {
    ++changed_;
    if (static_cast<int>(changed_leads_.size()) < max_changed_leads_) {
      v1::ChangedLead& c = changed_leads_.emplace_back();
      c.set_lead_id(past.stored.lead_id());
      *c.mutable_arrived_at() = past.stored.routed_at();
      *c.mutable_stored() = stored;
      *c.mutable_stored_trace() = past.stored.trace();
      *c.mutable_simulated() = simulated;
      *c.mutable_simulated_trace() = d.assignment.trace();
    }
  }
  if (simulated.state() == v1::ASSIGNMENT_STATE_ASSIGNED) {
    ReleaseWhenClosed(past.stored, d.assignment.rep_id(),
                      d.assignment.team_id(),
                      d.assignment.trace().company_domain(),
                      d.assignment.etag(), now);
  }
}

void Simulation::ReleaseWhenClosed(const Assignment& stored,
                                   const std::string& rep,
                                   const std::string& team,
                                   const std::string& domain,
                                   const std::string& etag,
                                   absl::Time not_before) {
  if (stored.state() != v1::ASSIGNMENT_STATE_CLOSED || !stored.has_closed_at()) {
    return;
  }
  Assignment held;
  held.set_lead_id(stored.lead_id());
  held.set_state(v1::ASSIGNMENT_STATE_ACCEPTED);
  held.set_rep_id(rep);
  held.set_team_id(team);
  held.set_etag(etag);
  held.mutable_trace()->set_company_domain(domain);
  releases_.push({std::max(not_before, ToTime(stored.closed_at())),
                  replayed_ + carried_, std::move(held)});
}

void Simulation::StartFrom(const std::vector<v1::AssignmentEvent>& newest_first,
                           absl::Time start) {
  absl::flat_hash_set<std::string> teams;
  absl::flat_hash_map<std::string, DailyCount> today;
  for (const v1::AssignmentEvent& e : newest_first) {
    if (e.type() != v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED &&
        e.type() != v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED) {
      continue;
    }
    if (!e.team_id().empty() && teams.insert(e.team_id()).second) {
      state_.SetLastAssigned(e.team_id(), e.rep_id());
    }
    const CompiledRep* rep = draft_.FindRep(e.rep_id());
    if (rep == nullptr) continue;
    const int64_t day = rep->availability.LocalDay(start);
    if (rep->availability.LocalDay(ToTime(e.time())) != day) continue;
    DailyCount& count = today[e.rep_id()];
    count.day = day;
    ++count.count;
  }
  for (const auto& [rep, count] : today) state_.SetDaily(rep, count);
}

void Simulation::Carry(const PastLead& held) {
  const Assignment& a = held.stored;
  if (a.rep_id().empty()) return;
  ++carried_;
  state_.SetOpenAssignments(a.rep_id(), state_.OpenAssignments(a.rep_id()) + 1);
  const std::string& domain = a.trace().company_domain();
  if (!domain.empty() && !a.team_id().empty()) {
    int open = 0;
    if (const auto* owners = state_.CompanyOwners(a.team_id(), domain)) {
      for (const auto& [id, n] : *owners) {
        if (id == a.rep_id()) open = n;
      }
    }
    state_.SetCompanyOpen(a.team_id(), domain, a.rep_id(), open + 1);
  }
  ReleaseWhenClosed(a, a.rep_id(), a.team_id(), domain, a.etag(),
                    absl::InfinitePast());
}

void Simulation::Count(const Placement& stored, const Placement& simulated) {
  ++rules_[stored.rule_id()].stored;
  ++rules_[simulated.rule_id()].simulated;
  ++teams_[stored.team_id()].stored;
  ++teams_[simulated.team_id()].simulated;
  ++reps_[stored.rep_id()].stored;
  ++reps_[simulated.rep_id()].simulated;
  if (stored.state() == v1::ASSIGNMENT_STATE_QUEUED) ++queued_.stored;
  if (simulated.state() == v1::ASSIGNMENT_STATE_QUEUED) ++queued_.simulated;
  if (!stored.rep_id().empty() && !stored.team_id().empty()) {
    ++members_[stored.team_id()][stored.rep_id()].stored;
  }
  if (!simulated.rep_id().empty() && !simulated.team_id().empty()) {
    ++members_[simulated.team_id()][simulated.rep_id()].simulated;
  }
}

v1::SimulateConfigResponse Simulation::Report() const {
  v1::SimulateConfigResponse r;
  r.set_leads(replayed_);
  r.set_skipped_erased(skipped_erased_);
  r.set_carried_in(carried_);
  if (replayed_ > 0) {
    SetTimestamp(first_arrival_, r.mutable_first_arrival());
    SetTimestamp(last_arrival_, r.mutable_last_arrival());
  }
  const v1::RoutingConfig& config = draft_.config();
  std::vector<std::string> rules, teams, reps;
  for (const auto& rule : config.rules()) rules.push_back(rule.id());
  for (const auto& team : config.teams()) teams.push_back(team.id());
  for (const auto& rep : config.reps()) reps.push_back(rep.id());
  AddCounts(rules_, rules, r.mutable_rules());
  AddCounts(teams_, teams, r.mutable_teams());
  AddCounts(reps_, reps, r.mutable_reps());
  r.set_stored_queued(queued_.stored);
  r.set_simulated_queued(queued_.simulated);

  std::vector<MemberLeads> stored, simulated;
  for (const auto& [team, members] : members_) {
    for (const auto& [rep, counts] : members) {
      stored.push_back({team, rep, counts.stored});
      simulated.push_back({team, rep, counts.simulated});
    }
  }
  auto add_fairness =
      [&](const std::vector<MemberLeads>& counts,
          google::protobuf::RepeatedPtrField<v1::TeamFairness>* out) {
        for (const TeamFairness& f : TeamsFairness(draft_, counts)) {
          v1::TeamFairness* t = out->Add();
          t->set_team_id(f.team_id);
          t->set_leads(f.leads);
          t->set_max_deviation(f.max_deviation);
          t->set_most_deviating_rep_id(f.most_deviating_rep);
        }
      };
  add_fairness(stored, r.mutable_stored_fairness());
  add_fairness(simulated, r.mutable_simulated_fairness());
  r.set_changed(changed_);
  for (const v1::ChangedLead& c : changed_leads_) *r.add_changed_leads() = c;
  return r;
}

}  // namespace leadrouter::routing

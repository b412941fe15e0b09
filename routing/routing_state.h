// The mutable facts routing decisions depend on: each rep's open assignments
// and leads today, each team's rotation (last rep, smooth-weight credits),
// which rep owns open leads of a company, and who is away or owed a
// catch-up. The store owns the authoritative copy and hands a consistent view
// to Decide() (see server/store/).
//
// A decision does not edit the state; it lists its StateChanges as absolute
// values, which the store applies and persists in the same transaction:
//
//   Decision d = Decide(table, lead, state, now);
//   ApplyChanges(d.changes, &state);  // and write d.changes to disk
#ifndef LEADROUTER_ROUTING_ROUTING_STATE_H_
#define LEADROUTER_ROUTING_ROUTING_STATE_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "routing/absl_string_view.h"

namespace leadrouter::routing {

// Leads a rep received on one local calendar day.
struct DailyCount {
  int64_t day = 0;  // days since 1970-01-01 in the rep's time zone
  int count = 0;
};

// A rep's absence as one team sees it.
struct CatchUp {
  bool away = false;  // was inactive or out of office at the team's last lead
  int owed = 0;       // leads to give ahead of the rotation when back
};

// Every change one decision makes, as new values (so applying twice is
// harmless and a store can write them as upserts).
struct StateChanges {
  struct Open { std::string rep_id; int count; };
  struct Rotation { std::string team_id, rep_id; };
  struct Credit { std::string team_id, rep_id; int64_t credit; };
  struct Daily { std::string rep_id; DailyCount value; };
  struct Company { std::string team_id, domain, rep_id; int open; };
  struct Away { std::string team_id, rep_id; CatchUp value; };

  std::vector<Open> open;
  std::vector<Rotation> rotation;
  std::vector<Credit> credits;
  std::vector<Daily> daily;
  std::vector<Company> companies;
  std::vector<Away> catch_up;
};

// A plain value; not thread-safe (the owner serializes access).
class RoutingState {
 public:
  // A rep's open assignments.
  int OpenAssignments(std::string_view rep_id) const {
    auto it = open_.find(ToAbsl(rep_id));
    return it == open_.end() ? 0 : it->second;
  }
  void SetOpenAssignments(std::string_view rep_id, int count) {
    open_[ToAbsl(rep_id)] = count;
  }

  // The rep the team's rotation gave the last lead to; empty if none yet.
  // Rotation continues after this rep, so adding or removing other members
  // does not restart it.
  std::string_view LastAssigned(std::string_view team_id) const {
    auto it = last_.find(ToAbsl(team_id));
    return it == last_.end() ? std::string_view() : it->second;
  }
  void SetLastAssigned(std::string_view team_id, std::string_view rep_id) {
    last_[ToAbsl(team_id)] = std::string(rep_id);
  }

  // Smooth weighted round robin: the rep's running credit in the team.
  int64_t Credit(std::string_view team_id, std::string_view rep_id) const {
    const int64_t* credit = Find(credit_, team_id, rep_id);
    return credit == nullptr ? 0 : *credit;
  }
  void SetCredit(std::string_view team_id, std::string_view rep_id,
                 int64_t credit) {
    credit_[ToAbsl(team_id)][ToAbsl(rep_id)] = credit;
  }

  // Leads the rep received on local day `day`.
  int AssignedOnDay(std::string_view rep_id, int64_t day) const {
    auto it = daily_.find(ToAbsl(rep_id));
    return it == daily_.end() || it->second.day != day ? 0 : it->second.count;
  }
  void SetDaily(std::string_view rep_id, DailyCount value) {
    daily_[ToAbsl(rep_id)] = value;
  }

  // Reps of the team holding open leads of the company, with how many, in
  // the order they first got one.
  using CompanyReps = std::vector<std::pair<std::string, int>>;
  const CompanyReps* CompanyOwners(std::string_view team_id,
                                   std::string_view domain) const {
    return Find(company_, team_id, domain);
  }
  void SetCompanyOpen(std::string_view team_id, std::string_view domain,
                      std::string_view rep_id, int open);

  CatchUp Away(std::string_view team_id, std::string_view rep_id) const {
    const CatchUp* away = Find(catch_up_, team_id, rep_id);
    return away == nullptr ? CatchUp{} : *away;
  }
  void SetAway(std::string_view team_id, std::string_view rep_id,
               CatchUp value) {
    if (value.away || value.owed > 0) {
      catch_up_[ToAbsl(team_id)][ToAbsl(rep_id)] = value;
      return;
    }
    auto team = catch_up_.find(ToAbsl(team_id));
    if (team == catch_up_.end()) return;
    team->second.erase(ToAbsl(rep_id));
    if (team->second.empty()) catch_up_.erase(team);
  }

  const absl::flat_hash_map<std::string, int>& open_assignments() const {
    return open_;
  }

 private:
  // Two-level maps (team, then rep or domain), looked up without building a
  // key: this runs for every member of a team on every lead.
  template <typename V>
  using ByTeam =
      absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, V>>;
  template <typename V>
  static const V* Find(const ByTeam<V>& map, std::string_view team,
                       std::string_view key) {
    auto t = map.find(ToAbsl(team));
    if (t == map.end()) return nullptr;
    auto it = t->second.find(ToAbsl(key));
    return it == t->second.end() ? nullptr : &it->second;
  }

  absl::flat_hash_map<std::string, int> open_;
  absl::flat_hash_map<std::string, std::string> last_;
  ByTeam<int64_t> credit_;
  absl::flat_hash_map<std::string, DailyCount> daily_;
  ByTeam<CompanyReps> company_;
  ByTeam<CatchUp> catch_up_;
};

inline void RoutingState::SetCompanyOpen(std::string_view team_id,
                                         std::string_view domain,
                                         std::string_view rep_id, int open) {
  auto& domains = company_[ToAbsl(team_id)];
  CompanyReps& reps = domains[ToAbsl(domain)];
  auto it = std::find_if(reps.begin(), reps.end(),
                         [&](const auto& r) { return r.first == rep_id; });
  if (it != reps.end() && open > 0) {
    it->second = open;
  } else if (it != reps.end()) {
    reps.erase(it);
  } else if (open > 0) {
    reps.emplace_back(std::string(rep_id), open);
  }
  if (reps.empty()) domains.erase(ToAbsl(domain));
  if (domains.empty()) company_.erase(ToAbsl(team_id));
}

// Applies `changes` in order.
inline void ApplyChanges(const StateChanges& changes, RoutingState* state) {
  for (const auto& c : changes.open) state->SetOpenAssignments(c.rep_id, c.count);
  for (const auto& c : changes.rotation) {
    state->SetLastAssigned(c.team_id, c.rep_id);
  }
  for (const auto& c : changes.credits) {
    state->SetCredit(c.team_id, c.rep_id, c.credit);
  }
  for (const auto& c : changes.daily) state->SetDaily(c.rep_id, c.value);
  for (const auto& c : changes.companies) {
    state->SetCompanyOpen(c.team_id, c.domain, c.rep_id, c.open);
  }
  for (const auto& c : changes.catch_up) {
    state->SetAway(c.team_id, c.rep_id, c.value);
  }
}

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ROUTING_STATE_H_

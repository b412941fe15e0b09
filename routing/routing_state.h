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

  bool empty() const {
    return open.empty() && rotation.empty() && credits.empty() &&
           daily.empty() && companies.empty() && catch_up.empty();
  }
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
    auto it = credit_.find(PairKey(team_id, rep_id));
    return it == credit_.end() ? 0 : it->second;
  }
  void SetCredit(std::string_view team_id, std::string_view rep_id,
                 int64_t credit) {
    credit_[PairKey(team_id, rep_id)] = credit;
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
    auto it = company_.find(PairKey(team_id, domain));
    return it == company_.end() ? nullptr : &it->second;
  }
  void SetCompanyOpen(std::string_view team_id, std::string_view domain,
                      std::string_view rep_id, int open);

  CatchUp Away(std::string_view team_id, std::string_view rep_id) const {
    auto it = catch_up_.find(PairKey(team_id, rep_id));
    return it == catch_up_.end() ? CatchUp{} : it->second;
  }
  void SetAway(std::string_view team_id, std::string_view rep_id,
               CatchUp value) {
    if (!value.away && value.owed == 0) {
      catch_up_.erase(PairKey(team_id, rep_id));
    } else {
      catch_up_[PairKey(team_id, rep_id)] = value;
    }
  }

  const absl::flat_hash_map<std::string, int>& open_assignments() const {
    return open_;
  }

 private:
  static std::string PairKey(std::string_view a, std::string_view b) {
    std::string key(a);
    key += '\x1f';  // cannot occur in ids or domains
    key.append(b);
    return key;
  }

  absl::flat_hash_map<std::string, int> open_;
  absl::flat_hash_map<std::string, std::string> last_;
  absl::flat_hash_map<std::string, int64_t> credit_;
  absl::flat_hash_map<std::string, DailyCount> daily_;
  absl::flat_hash_map<std::string, CompanyReps> company_;
  absl::flat_hash_map<std::string, CatchUp> catch_up_;
};

inline void RoutingState::SetCompanyOpen(std::string_view team_id,
                                         std::string_view domain,
                                         std::string_view rep_id, int open) {
  CompanyReps& reps = company_[PairKey(team_id, domain)];
  for (auto it = reps.begin(); it != reps.end(); ++it) {
    if (it->first == rep_id) {
      if (open > 0) {
        it->second = open;
      } else {
        reps.erase(it);
      }
      if (reps.empty()) company_.erase(PairKey(team_id, domain));
      return;
    }
  }
  if (open > 0) {
    reps.emplace_back(std::string(rep_id), open);
  } else if (reps.empty()) {
    company_.erase(PairKey(team_id, domain));
  }
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

// Fairness you can see: over a window, how the leads a team gave out split
// among its members, against each member's weighted share (the team's
// weights for weighted round robin; equal shares otherwise), and the
// largest deviation from it.
//
//   TeamFairness f = Fairness(team, {{"anna", 12}, {"ben", 8}});
//   f.max_deviation  // 0.1: anna got 60% of an equal 50% share
#ifndef LEADROUTER_ROUTING_FAIRNESS_H_
#define LEADROUTER_ROUTING_FAIRNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {

// How many leads of the window a team gave one of its reps (as the store
// counts them).
struct MemberLeads {
  std::string team_id;
  std::string rep_id;
  int64_t leads = 0;
};

struct MemberShare {
  std::string rep_id;
  int64_t leads = 0;     // received in the window
  double share = 0;      // the weighted share the member should get, 0..1
  double received = 0;   // the share the member got, 0..1 (0 when none)
};

struct TeamFairness {
  std::string team_id;
  int64_t leads = 0;  // given to members in the window
  std::vector<MemberShare> members;  // in member order
  // The largest |received - share| over the members, 0..1; 0 when the team
  // gave out no lead.
  double max_deviation = 0;
  // The member with it (the first listed on a tie); empty when it is 0.
  std::string most_deviating_rep;
};

// `leads` maps a member's rep id to the leads it received (others are
// ignored: a rep no longer in the team).
TeamFairness Fairness(const CompiledTeam& team,
                      const absl::flat_hash_map<std::string, int64_t>& leads);

// Every team of the table, in config order, from the store's counts.
std::vector<TeamFairness> TeamsFairness(const RoutingTable& table,
                                        const std::vector<MemberLeads>& counts);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_FAIRNESS_H_

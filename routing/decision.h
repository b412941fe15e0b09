// Deciding where one lead goes: the first matching rule picks a target (a
// team, a rep or a queue); a team picks a rep by its strategy among the reps
// who are eligible; nobody eligible sends the lead to the rule's fallback or,
// without one, to the target's waiting queue. Pure: the state and the time
// come in as arguments.
//
//   Decision d = Decide(table, lead, state, absl::Now());
//   // d.assignment: state, rep or queue, rule, trace
//   ApplyDecision(d, &state);  // what storing it reserves
#ifndef LEADROUTER_ROUTING_DECISION_H_
#define LEADROUTER_ROUTING_DECISION_H_

#include <string>

#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "routing/routing_state.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {

// Name of the queue for leads that no rule matches.
inline constexpr char kUnmatchedQueue[] = "unmatched";

struct Decision {
  // The complete assignment to store, trace included.
  leadrouter::v1::Assignment assignment;
  // The rep whose open load this decision raises by one; empty when queued.
  std::string reserved_rep_id;
  // The team whose rotation moves on to reserved_rep_id; empty when no team
  // rotation picked the rep.
  std::string rotation_team_id;
};

// `lead` must have passed ValidateLead.
Decision Decide(const RoutingTable& table, const leadrouter::v1::Lead& lead,
                const RoutingState& state, absl::Time now);

// Applies what storing `decision` reserves: the rep's open load and the
// team's rotation position.
void ApplyDecision(const Decision& decision, RoutingState* state);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_DECISION_H_

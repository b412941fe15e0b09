// Deciding where one lead goes: the first matching rule picks a target (a
// team, a rep or a queue); a team picks a rep among its eligible members:
// first a rep who owns an open lead of the same company, then a rep owed a
// catch-up after an absence, then by the team's strategy (round robin,
// smooth weighted round robin, least loaded). Nobody eligible sends the lead
// to the rule's fallback or, without one, to the target's waiting queue.
// Pure: the state and the time come in as arguments.
//
//   Decision d = Decide(table, lead, state, absl::Now());
//   // d.assignment: state, rep or queue, rule, trace
//   ApplyChanges(d.changes, &state);  // what storing it reserves
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
  // What storing it changes in the routing state: the rep's open load and
  // daily count, the team's rotation, company ownership, catch-up ledger.
  StateChanges changes;
};

// `lead` must have passed ValidateLead. `previous` is the lead's stored
// assignment when it is routed again (from a queue, after a rejection or a
// lapsed response time): reps in its declined_rep_ids are passed over.
Decision Decide(const RoutingTable& table, const leadrouter::v1::Lead& lead,
                const RoutingState& state, absl::Time now,
                const leadrouter::v1::Assignment* previous = nullptr);

// Sends a lead whose response time lapsed too often to the team's
// escalation target (a rep or a named queue, see ResponseSla): the rep when
// eligible (even one who declined it), else their waiting queue "rep/<id>".
// Escalated leads carry no response time.
Decision DecideEscalation(const RoutingTable& table,
                          const leadrouter::v1::Lead& lead,
                          const RoutingState& state, absl::Time now,
                          const leadrouter::v1::Assignment& previous,
                          const leadrouter::v1::Target& target);

// True for the waiting queues a team or rep target fills when nobody is
// eligible ("team/<id>", "rep/<id>"); leads there are assigned when someone
// becomes eligible. Named queues and "unmatched" are not.
bool IsWaitingQueue(const std::string& queue);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_DECISION_H_

// What one decision is made of, shared by the files that make it: the
// context of the lead being decided, what the reps must offer (Needs), and
// the result of trying one target (Attempt). Internal to routing/: the
// public entry points are in decision.h.
//
//   eligibility.cc  Check (may this rep take the lead now?) and Reserve
//   team_pick.cc    TryTeam (same company, catch-up, the team's strategy)
//   decision.cc     rules, targets (rep, queue, account owner), fallback,
//                   the summary, escalations
#ifndef LEADROUTER_ROUTING_ATTEMPT_H_
#define LEADROUTER_ROUTING_ATTEMPT_H_

#include <string>

#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "routing/compiled_rule.h"
#include "routing/routing_state.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {

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


// True for the reasons that mean "away" (inactive, out of office).
bool IsAbsence(leadrouter::v1::PassOverReason reason);

// Eligibility of one rep; fills the facts of `candidate`. UNSPECIFIED means
// eligible.
leadrouter::v1::PassOverReason Check(const CompiledRep& rep,
                                     const Context& ctx, const Needs& needs,
                                     leadrouter::v1::Candidate* candidate);

// What storing the lead with `rep` reserves: open load and today's count.
void Reserve(const CompiledRep& rep, const Context& ctx,
             StateChanges* changes);

// Picks among the team's eligible members (same company first, then
// catch-up, then the team's strategy); every member goes into the trace.
Attempt TryTeam(const CompiledTeam& ct, const Context& ctx, Needs needs,
                leadrouter::v1::RoutingTrace* trace);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ATTEMPT_H_

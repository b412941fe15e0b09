// What the store tests share (the conformance suite, the SQLite store
// test): a lead, a route decided at a given time, and a small org.
#ifndef LEADROUTER_TESTS_SERVER_CONFORMANCE_HELPERS_H_
#define LEADROUTER_TESTS_SERVER_CONFORMANCE_HELPERS_H_

#include <future>
#include <string>

#include "absl/time/time.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// A German SQL lead of the company `domain`.
inline leadrouter::v1::Lead MakeLead(const std::string& id,
                                     const std::string& domain,
                                     int score = 50) {
  leadrouter::v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(score);
  lead.set_company_domain(domain);
  return lead;
}

// Routes `lead` through the store, decided on `table` at `now`.
inline absl::StatusOr<RouteOutcome> RouteNow(AssignmentStore& store,
                                             const routing::RoutingTable& table,
                                             const leadrouter::v1::Lead& lead,
                                             absl::Time now) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Route(
      lead,
      [&](const leadrouter::v1::Lead& lead, const routing::RoutingState& s) {
        return routing::Routed(routing::Decide(table, lead, s, now));
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

// Reps a and b in team t; MQLs wait in queue q.
inline constexpr char kTeamAndQueue[] = R"pb(
  reps { id: "a" capacity: 100 }
  reps { id: "b" capacity: 100 }
  teams { id: "t" members: [ "a", "b" ] }
  queues { id: "q" }
  rules {
    id: "queued"
    match { stages: STAGE_MQL }
    target { queue: "q" }
  }
  rules { id: "all" target { team: "t" } }
)pb";

}  // namespace leadrouter::server

#endif  // LEADROUTER_TESTS_SERVER_CONFORMANCE_HELPERS_H_

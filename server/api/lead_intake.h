// What LeadRouter does with a lead, without gRPC: validate it, decide on the
// current routing table, and store the decision (or explain it without
// storing). The gRPC services are thin shells over this class, and tests can
// drive it directly.
//
//   LeadIntake intake(current_table, store, absl::Now);
//   intake.Route(lead, [](absl::StatusOr<RouteOutcome> outcome) { ... });
#ifndef LEADROUTER_SERVER_API_LEAD_INTAKE_H_
#define LEADROUTER_SERVER_API_LEAD_INTAKE_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "server/api/commit_admission.h"
#include "server/config/current_table.h"
#include "server/metrics/metrics.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

using Clock = std::function<absl::Time()>;

// Thread-safe.
class LeadIntake {
 public:
  // `metrics` may be null (tests, benchmarks); so may `admission` (no
  // bound on routes waiting for their commit).
  LeadIntake(const CurrentTable& table, AssignmentStore& store, Clock clock,
             Metrics* metrics = nullptr, CommitAdmission* admission = nullptr)
      : table_(table),
        store_(store),
        clock_(std::move(clock)),
        metrics_(metrics),
        admission_(admission) {}

  // Validates and routes; `done` runs once the decision is durable, or with
  // INVALID_ARGUMENT naming the field (nothing stored), RESOURCE_EXHAUSTED
  // when too many writes wait for a commit (nothing done), or a store error.
  void Route(const leadrouter::v1::Lead& lead, RouteCallback done);

  // The assignment Route would make now for this lead as if it were new.
  // Stores and reserves nothing.
  absl::StatusOr<leadrouter::v1::Assignment> Explain(
      const leadrouter::v1::Lead& lead);

  // Offers waiting leads to the reps who are eligible now, on the current
  // routing table; returns how many left their queue.
  absl::StatusOr<int> DrainQueues();

 private:
  const CurrentTable& table_;
  AssignmentStore& store_;
  Clock clock_;
  Metrics* metrics_;
  CommitAdmission* admission_;
};

// Routes waiting leads again at `now` on the table `current` holds when
// each runs (for the store's drains). `current` must outlive the store's
// use of it.
QueuedDecider Rerouter(const CurrentTable& current, absl::Time now);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_LEAD_INTAKE_H_

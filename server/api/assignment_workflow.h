// What sales tools and privacy tooling do to stored assignments, without
// gRPC: accept, reject, close, erase, and the response-time clock. Each call
// takes the routing table once, runs the pure lifecycle step
// (routing/assignment_lifecycle.h) on the stored record inside the store's
// transaction, and lets waiting leads take a freed rep in the same commit.
//
//   AssignmentWorkflow workflow(current_table, store, absl::Now);
//   workflow.Accept(lead_id, etag, [](absl::StatusOr<RouteOutcome> r) {...});
#ifndef LEADROUTER_SERVER_API_ASSIGNMENT_WORKFLOW_H_
#define LEADROUTER_SERVER_API_ASSIGNMENT_WORKFLOW_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "leadrouter/v1/assignment.pb.h"
#include "server/api/lead_intake.h"
#include "server/api/commit_admission.h"
#include "server/config/current_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Whether the caller may act on a lead held by `rep_id` (a worker bound to
// reps); checked inside the change, on the stored record. Null: anyone.
using RepCheck = std::function<absl::Status(const std::string& rep_id)>;

// Thread-safe. Every callback gets the assignment after the change once it
// is durable, or the error (nothing changed).
class AssignmentWorkflow {
 public:
  // `metrics` and `admission` may be null (tests; no bound on pending
  // writes).
  AssignmentWorkflow(const CurrentTable& table, AssignmentStore& store,
                     Clock clock, Metrics* metrics = nullptr,
                     CommitAdmission* admission = nullptr)
      : table_(table),
        store_(store),
        clock_(std::move(clock)),
        metrics_(metrics),
        admission_(admission) {}

  void Accept(const std::string& lead_id, const std::string& etag,
              RouteCallback done, RepCheck may_act = nullptr);
  void Reject(const std::string& lead_id, const std::string& etag,
              const std::string& note, RouteCallback done,
              RepCheck may_act = nullptr);
  void Close(const std::string& lead_id, const std::string& etag,
             leadrouter::v1::CloseOutcome outcome, const std::string& note,
             RouteCallback done, RepCheck may_act = nullptr);
  void Erase(const std::string& lead_id, RouteCallback done);

  // Re-routes or escalates the leads whose response time ran out by now;
  // returns how many changed.
  absl::StatusOr<int> ExpireResponseTimes();

 private:
  using Result = absl::StatusOr<std::optional<routing::LeadChange>>;

  // Checks the lead id, then runs `step(table, lead, stored, state, now)`
  // inside the store's change of the lead. `step` owns its captures.
  template <typename Step>
  void Run(const std::string& lead_id, RouteCallback done, Step step,
           RepCheck may_act = nullptr);

  const CurrentTable& table_;
  AssignmentStore& store_;
  Clock clock_;
  Metrics* metrics_;
  CommitAdmission* admission_;
};

// Printable ASCII without spaces, as lead ids and config ids are.
bool IsPrintableId(const std::string& id);

// INVALID_ARGUMENT naming `lead_id` unless it is 1 to 128 bytes of
// printable ASCII without spaces (as RouteLead requires of lead ids).
absl::Status CheckLeadId(const std::string& lead_id);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ASSIGNMENT_WORKFLOW_H_

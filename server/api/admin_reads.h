// What admins read, without gRPC: the reps with their load, caps and
// fairness, and the audit trail page by page. Requests are checked here
// (INVALID_ARGUMENT naming the field), so every front answers alike.
//
//   absl::StatusOr<ListRepsResponse> reps =
//       ReadReps(*running.Get().table, store, absl::Now(), request);
#ifndef LEADROUTER_SERVER_API_ADMIN_READS_H_
#define LEADROUTER_SERVER_API_ADMIN_READS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "routing/routing_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Every rep of `table` (or a team's: NOT_FOUND for a team it lacks) as of
// `now`, with each team's fairness over `fairness_days` (1 to 365; 0: 7).
absl::StatusOr<leadrouter::v1::ListRepsResponse> ReadReps(
    const routing::RoutingTable& table, AssignmentStore& store, absl::Time now,
    const leadrouter::v1::ListRepsRequest& request);

// One page of the audit trail, newest first.
absl::StatusOr<leadrouter::v1::ListAuditEventsResponse> ReadAuditEvents(
    AssignmentStore& store,
    const leadrouter::v1::ListAuditEventsRequest& request);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ADMIN_READS_H_

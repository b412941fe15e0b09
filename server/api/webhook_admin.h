// What admins do with outbound webhooks' dead letters, without gRPC: list
// them, and ask for another delivery (server/webhooks sends it).
//
//   absl::StatusOr<ListDeadLettersResponse> page =
//       ListDeadLetters(store, request);
#ifndef LEADROUTER_SERVER_API_WEBHOOK_ADMIN_H_
#define LEADROUTER_SERVER_API_WEBHOOK_ADMIN_H_

#include "absl/status/statusor.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "routing/routing_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// INVALID_ARGUMENT naming `limit` outside 0 to 1000.
absl::StatusOr<leadrouter::v1::ListDeadLettersResponse> ListDeadLetters(
    AssignmentStore& store, const leadrouter::v1::ListDeadLettersRequest& request);

// NOT_FOUND naming `subscription` when the running config has no such
// subscription; INVALID_ARGUMENT naming `cursor` when it is not a number.
absl::StatusOr<leadrouter::v1::RetryDeadLettersResponse> RetryDeadLetters(
    AssignmentStore& store, const routing::RoutingTable& running,
    const leadrouter::v1::RetryDeadLettersRequest& request);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_WEBHOOK_ADMIN_H_

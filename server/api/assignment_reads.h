// What sales tools read, without gRPC: one assignment, a filtered page of
// assignments, the queues, and where a watch of the change stream starts.
// Every request is checked here (INVALID_ARGUMENT naming the field) and
// page tokens are made and read here, so every front answers alike.
//
//   AssignmentReads reads(store);
//   absl::StatusOr<ListAssignmentsResponse> page = reads.List(request);
#ifndef LEADROUTER_SERVER_API_ASSIGNMENT_READS_H_
#define LEADROUTER_SERVER_API_ASSIGNMENT_READS_H_

#include <string>

#include "absl/status/statusor.h"
#include "leadrouter/v1/assignment_service.pb.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe (the store is).
class AssignmentReads {
 public:
  // Page sizes: 0 asks for the default; larger than the maximum is capped.
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

  explicit AssignmentReads(AssignmentStore& store) : store_(store) {}

  // With its history; NOT_FOUND for a lead never routed.
  absl::StatusOr<leadrouter::v1::Assignment> Get(const std::string& lead_id);

  absl::StatusOr<leadrouter::v1::ListAssignmentsResponse> List(
      const leadrouter::v1::ListAssignmentsRequest& request);

  absl::StatusOr<leadrouter::v1::ListQueuesResponse> Queues(
      const leadrouter::v1::ListQueuesRequest& request);

  // The filters of a watch and the cursor it reads after: the request's
  // cursor, the oldest one served (from_start) or the newest (now).
  absl::StatusOr<EventQuery> WatchQuery(
      const leadrouter::v1::WatchAssignmentsRequest& request);

 private:
  AssignmentStore& store_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ASSIGNMENT_READS_H_

// leadrouter::Client: the C++ library upstream systems link to route leads
// and read assignments, without hand-written gRPC calls. Every call has a
// deadline; errors come back as absl::Status.
//
//   leadrouter::Client client(leadrouter::ClientOptions{"127.0.0.1:50051"});
//   absl::StatusOr<leadrouter::v1::RouteLeadResponse> routed =
//       client.Route(lead);
//   if (!routed.ok()) ...  // e.g. INVALID_ARGUMENT "lead.score: ..."
#ifndef LEADROUTER_CLIENT_CLIENT_H_
#define LEADROUTER_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"

namespace leadrouter {

struct ClientOptions {
  // host:port of leadrouterd.
  std::string address = "127.0.0.1:50051";
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(10);
};

// Thread-safe; share one Client per process.
class Client {
 public:
  explicit Client(const ClientOptions& options);

  // Routes one lead (idempotent on lead.id).
  absl::StatusOr<v1::RouteLeadResponse> Route(const v1::Lead& lead);
  // The decision for a lead without storing anything.
  absl::StatusOr<v1::Assignment> Explain(const v1::Lead& lead);
  absl::StatusOr<v1::Assignment> GetAssignment(const std::string& lead_id);
  // One page; pass next_page_token back for the next.
  absl::StatusOr<v1::ListAssignmentsResponse> ListAssignments(
      const v1::ListAssignmentsRequest& request);
  // Leads waiting per queue; `team_id` empty for every queue.
  absl::StatusOr<v1::ListQueuesResponse> ListQueues(const std::string& team_id);

  // The state machine; each returns the assignment after the change.
  // FAILED_PRECONDITION: the state does not allow it; ABORTED: the etag is
  // stale (read the assignment again).
  absl::StatusOr<v1::Assignment> Accept(
      const v1::AcceptAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> Reject(
      const v1::RejectAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> Close(const v1::CloseAssignmentRequest& request);
  // GDPR erasure of the lead's personal data.
  absl::StatusOr<v1::Assignment> Erase(const std::string& lead_id);

  // Streams events to `on_event` until it returns false (then OK) or the
  // stream ends (its status). No deadline: a watch runs as long as wanted.
  // To continue after an error, watch again with the last event's cursor.
  absl::Status Watch(
      const v1::WatchAssignmentsRequest& request,
      const std::function<bool(const v1::AssignmentEvent&)>& on_event);

 private:
  // One unary call with the configured deadline.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(
      Stub* stub,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      const Request& request);

  ClientOptions options_;
  std::unique_ptr<v1::LeadRouter::Stub> router_;
  std::unique_ptr<v1::AssignmentService::Stub> assignments_;
};

}  // namespace leadrouter

#endif  // LEADROUTER_CLIENT_CLIENT_H_

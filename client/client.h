// leadrouter::Client: the C++ library upstream systems link to route leads,
// work and follow assignments, and administer routing, without hand-written
// gRPC calls. Every call has a deadline; errors come back as absl::Status.
//
// Calls that are safe to repeat (routing is idempotent on the lead id;
// reads; erasure; applying a config) are retried on UNAVAILABLE (and on
// CANCELLED, which a shutting-down server gives the calls it had not
// started) with jittered exponential backoff, moving to the next server
// address each time, so a restart or a failover costs latency, not errors. The state
// transitions (accept, reject, close) are not retried: a repeat after a
// lost answer would report a conflict for a change that happened. Every
// call, transitions included, is retried the same way when an overloaded
// leadrouterd shed it (RESOURCE_EXHAUSTED "leadrouterd is overloaded"):
// nothing was done for it.
//
//   leadrouter::Client client({.address = "10.0.0.5:50051,10.0.0.6:50051"});
//   absl::StatusOr<leadrouter::v1::RouteLeadResponse> routed =
//       client.Route(lead);
//   if (!routed.ok()) ...  // e.g. INVALID_ARGUMENT "lead.score: ..."
#ifndef LEADROUTER_CLIENT_CLIENT_H_
#define LEADROUTER_CLIENT_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace leadrouter {

struct ClientOptions {
  // host:port of leadrouterd; several, comma-separated, for client-side
  // round robin (each call goes to the next address).
  std::string address = "127.0.0.1:50051";
  // Deadline of a unary call, its retries included.
  absl::Duration timeout = absl::Seconds(10);
  // Attempts of a retryable call while it gets UNAVAILABLE (1: no retry).
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  // The longest wait between attempts, also when an overloaded server asks
  // for a longer one (its retry pushback).
  absl::Duration max_backoff = absl::Seconds(5);
  // TLS with these root certificates (PEM; empty: the system's).
  bool tls = false;
  std::string tls_root_certs;
  // A client certificate chain and its private key (PEM), for servers that
  // require mutual TLS (leadrouterd --tls_client_ca). Both or neither.
  std::string tls_client_cert;
  std::string tls_client_key;
  // The name the server certificate must hold when it is not the host of
  // `address` (e.g. connecting by IP to a certificate for a DNS name).
  std::string tls_server_name;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
};

// The channel credentials and arguments `options` ask for (TLS with its
// roots, client certificate and server name override, or plaintext), for
// programs that open other channels to leadrouterd (e.g. a health probe).
std::shared_ptr<grpc::Channel> CreateLeadrouterChannel(
    const std::string& address, const ClientOptions& options);

// Thread-safe; share one Client per process.
class Client {
 public:
  explicit Client(const ClientOptions& options);
  ~Client();

  // Routes one lead (idempotent on lead.id).
  absl::StatusOr<v1::RouteLeadResponse> Route(const v1::Lead& lead);
  // Routes many leads over one stream with at most `max_in_flight`
  // unanswered; one result per lead, in order. If the stream breaks
  // (UNAVAILABLE: a restart, a drain) the leads without an answer are sent
  // again; leads an overloaded server shed are sent again after the stream,
  // with backoff. `on_result` (optional) sees each result in order, as soon
  // as it and every one before it are final.
  std::vector<absl::StatusOr<v1::RouteLeadResponse>> RouteMany(
      const std::vector<v1::Lead>& leads, size_t max_in_flight = 256,
      const std::function<void(
          size_t index, const absl::StatusOr<v1::RouteLeadResponse>&)>&
          on_result = nullptr);
  // The decision for a lead without storing anything.
  absl::StatusOr<v1::Assignment> Explain(const v1::Lead& lead);

  absl::StatusOr<v1::Assignment> GetAssignment(const std::string& lead_id);
  // One page; pass next_page_token back for the next.
  absl::StatusOr<v1::ListAssignmentsResponse> ListAssignments(
      const v1::ListAssignmentsRequest& request);
  // Every matching assignment, page after page, until `each` returns false.
  absl::Status ForEachAssignment(
      v1::ListAssignmentsRequest request,
      const std::function<bool(const v1::Assignment&)>& each);
  // Leads waiting per queue; `team_id` empty for every queue.
  absl::StatusOr<v1::ListQueuesResponse> ListQueues(const std::string& team_id);

  // The state machine; each returns the assignment after the change.
  // FAILED_PRECONDITION: the state does not allow it; ABORTED: the etag is
  // stale (read the assignment again). Not retried.
  absl::StatusOr<v1::Assignment> Accept(
      const v1::AcceptAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> Reject(
      const v1::RejectAssignmentRequest& request);
  absl::StatusOr<v1::Assignment> Close(const v1::CloseAssignmentRequest& request);
  // GDPR erasure of the lead's personal data (idempotent).
  absl::StatusOr<v1::Assignment> Erase(const std::string& lead_id);

  // Streams events to `on_event` until it returns false (then OK). When the
  // stream breaks with UNAVAILABLE (a restart, a drain) it watches again
  // from the last cursor received, so `on_event` sees every event once; it
  // gives up after max_attempts breaks in a row without an event. Other
  // errors end it. No deadline: a watch runs as long as wanted. (A watch
  // "from now" that breaks before its first event starts from now again;
  // pass a cursor or from_start to be exact.)
  absl::Status Watch(
      v1::WatchAssignmentsRequest request,
      const std::function<bool(const v1::AssignmentEvent&)>& on_event);

  // RoutingAdmin. GetConfig of a version that ran before (empty: the
  // running one); ApplyConfig also rolls back (rollback_to_version).
  absl::StatusOr<v1::GetConfigResponse> GetConfig(
      const std::string& version = "");
  absl::StatusOr<v1::ApplyConfigResponse> ApplyConfig(
      const v1::ApplyConfigRequest& request);
  // `fairness_days`: the window of the teams' fairness (0: the server's
  // default, 7).
  absl::StatusOr<v1::ListRepsResponse> ListReps(const std::string& team_id,
                                                int fairness_days = 0);
  // What a draft config would have done to stored leads (see
  // RoutingAdmin.SimulateConfig). A simulation takes seconds: its deadline
  // is `timeout` (default 5 minutes), not the client's.
  absl::StatusOr<v1::SimulateConfigResponse> SimulateConfig(
      const v1::SimulateConfigRequest& request,
      absl::Duration timeout = absl::Minutes(5));
  absl::StatusOr<v1::SetRepAvailabilityResponse> SetRepAvailability(
      const v1::SetRepAvailabilityRequest& request);
  // One page of the audit trail, newest first.
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request);
  // Outbound webhooks' dead letters, and another delivery of some.
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const v1::ListDeadLettersRequest& request);
  absl::StatusOr<v1::RetryDeadLettersResponse> RetryDeadLetters(
      const v1::RetryDeadLettersRequest& request);
  // A consistent copy of the server's embedded store: its chunks in order
  // to `on_chunk` (return false to stop: CANCELLED). No deadline and no
  // retry: a broken copy is taken again whole. `leadctl backup` writes it
  // to a file and checks its SHA-256.
  absl::Status Backup(
      const std::function<bool(const v1::BackupChunk&)>& on_chunk);

 private:
  struct Endpoint;
  using Attempt =
      std::function<grpc::Status(Endpoint& endpoint, grpc::ClientContext& c)>;

  // Runs `attempt` on the next endpoint, again on the following ones while
  // it gets UNAVAILABLE (when `retry`), sleeping a jittered backoff between.
  // `timeout` (zero: the client's) covers the call, retries included.
  absl::Status Run(bool retry, const Attempt& attempt,
                   absl::Duration timeout = absl::ZeroDuration());
  template <typename Response, typename Fn>
  absl::StatusOr<Response> Unary(bool retry, Fn fn,
                                 absl::Duration timeout = absl::ZeroDuration());
  // One RouteMany pass: fills `results` (one per lead, in order), resending
  // the unanswered leads when the stream breaks; `on_answer` runs after each
  // answer.
  void RouteStream(const std::vector<v1::Lead>& leads, size_t max_in_flight,
                   std::vector<absl::StatusOr<v1::RouteLeadResponse>>& results,
                   const std::function<void()>& on_answer);
  // Deadline (unless zero) and credentials for one attempt.
  void Prepare(grpc::ClientContext& context, absl::Duration deadline) const;
  Endpoint& Next();
  void Backoff(int failures) const;

  ClientOptions options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> next_ = 0;
};

}  // namespace leadrouter

#endif  // LEADROUTER_CLIENT_CLIENT_H_

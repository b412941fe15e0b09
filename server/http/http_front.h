// leadrouterd's HTTP/JSON port (--http_listen): the same API as the gRPC
// port for systems that cannot speak gRPC, mapped the usual way:
//
//   POST /v1/leads:route                  LeadRouter.RouteLead
//   POST /v1/leads:explain                LeadRouter.ExplainRoute
//   GET  /v1/assignments/{lead_id}        AssignmentService.GetAssignment
//   GET  /v1/assignments?rep_id=&state=   AssignmentService.ListAssignments
//   POST /v1/assignments/{lead_id}:accept AssignmentService.AcceptAssignment
//        (and :reject, :close)
//   POST /v1/intake/{mapping}             LeadRouter.RouteLead, the body in
//        the sender's own shape, mapped by the config's intake mapping
//        (routing/intake_mapping.h)
//
// Bodies are the proto3 JSON mapping of the same request and response
// messages; a lead_id in the path fills the request's. Every request is
// admitted by the CallGuard under its gRPC method's name, so tokens, client
// certificates and roles are those of the gRPC port, and the work is done
// by the same transport-free core (LeadIntake, AssignmentWorkflow,
// AssignmentReads). Errors are {"code", "message"} with the HTTP status of
// the code (http_status.h). The server is cpp-httplib (Debian's
// libcpp-httplib): it parses HTTP; this file only routes.
//
//   HttpFront front(core, options);
//   absl::Status s = front.Start();   // binds, serves on its own threads
//   ... front.Stop();                 // finishes requests in flight
#ifndef LEADROUTER_SERVER_HTTP_HTTP_FRONT_H_
#define LEADROUTER_SERVER_HTTP_HTTP_FRONT_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/api/assignment_reads.h"
#include "server/api/assignment_workflow.h"
#include "server/api/call_guard.h"
#include "server/api/lead_intake.h"
#include "server/config/current_table.h"
#include "server/metrics/metrics.h"
#include "server/http/tls_key_pair.h"
#include "server/transport.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace leadrouter::server {

struct HttpFrontOptions {
  // host:port; port 0 picks a free one (see HttpFront::port).
  std::string listen_address;
  // TLS and the plaintext policy are the gRPC port's (--tls_cert, ...).
  TransportOptions transport;
  // Larger bodies are refused with 413 before they are read whole.
  size_t max_body_bytes = 1024 * 1024;
  // Connections served at once (each keeps a thread while it is open);
  // more wait for one to close.
  int threads = 32;
  // A request must arrive within this; an idle kept-alive connection is
  // closed after keep_alive.
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration keep_alive = absl::Seconds(30);
};

// What the HTTP handlers call; everything outlives the front.
struct HttpCore {
  const CurrentTable& table;
  LeadIntake& intake;
  AssignmentWorkflow& workflow;
  AssignmentReads& reads;
  const CallGuard& guard;
  bool auth_enabled = false;
  Metrics* metrics = nullptr;  // may be null (tests)
};

class HttpFront {
 public:
  HttpFront(HttpCore core, HttpFrontOptions options);
  ~HttpFront();

  // INVALID_ARGUMENT for a bad address or TLS set-up (as the gRPC port
  // refuses them), UNAVAILABLE when the port cannot be bound.
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // Stops accepting, lets requests in flight finish. Idempotent.
  void Stop();

 private:
  // One request of an API route: admits the caller under the gRPC
  // `method`, checks the content type of a body, runs `handle` (the JSON
  // answer or the error) and counts it under `route`.
  void Serve(const char* route, const char* method,
             const httplib::Request& request, httplib::Response& response,
             bool has_body,
             const std::function<absl::StatusOr<std::string>(
                 const Caller&)>& handle);
  void AddRoutes();
  // POST /v1/intake/{mapping}.
  absl::StatusOr<std::string> Intake(const std::string& mapping_id,
                                     const std::string& body);
  // Routes `lead` and prints the RouteLeadResponse.
  absl::StatusOr<std::string> RouteAndAnswer(const leadrouter::v1::Lead& lead);

  HttpCore core_;
  HttpFrontOptions options_;
  std::unique_ptr<TlsKeyPair> key_pair_;  // with TLS; outlives server_
  std::unique_ptr<httplib::Server> server_;
  // Widens the listen queue of server_'s socket (see http_front.cc).
  std::function<bool()> widen_backlog_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_HTTP_HTTP_FRONT_H_

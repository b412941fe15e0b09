// Handlers run on cpp-httplib's worker threads and wait there for the
// commit of a route or a transition (the core answers through callbacks):
// a connection holds one thread while it is open, as the library works.
#include "server/http/http_front.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <future>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "leadrouter/v1/assignment_service.pb.h"
#include "leadrouter/v1/lead_router.pb.h"
#include "routing/intake_mapping.h"
#include "server/api/status.h"
#include "server/http/http_caller.h"
#include "server/http/http_status.h"
#include "server/http/proto_json.h"
#include "server/http/tls_key_pair.h"
#include "server/log.h"

namespace leadrouter::server {
namespace {

namespace v1 = leadrouter::v1;

constexpr char kJson[] = "application/json";

// Runs an operation of the core that answers through a RouteCallback and
// waits for its answer (after the commit).
absl::StatusOr<RouteOutcome> Await(
    const std::function<void(RouteCallback)>& start) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<RouteOutcome>>>();
  std::future<absl::StatusOr<RouteOutcome>> answer = promise->get_future();
  start([promise](absl::StatusOr<RouteOutcome> outcome) {
    promise->set_value(std::move(outcome));
  });
  return answer.get();
}

// "application/json" or "application/json; charset=utf-8".
bool IsJson(const std::string& content_type) {
  const std::string type = absl::AsciiStrToLower(
      content_type.substr(0, content_type.find(';')));
  return absl::StripAsciiWhitespace(type) == kJson;
}

// A lead id from the path must agree with one the body names.
absl::Status TakePathLeadId(const std::string& from_path,
                            std::string* in_body) {
  if (!in_body->empty() && *in_body != from_path) {
    return absl::InvalidArgumentError(
        "lead_id: the body names another lead than the path");
  }
  *in_body = from_path;
  return absl::OkStatus();
}

// host and port of "host:port" or "[v6]:port".
absl::Status SplitAddress(const std::string& address, std::string* host,
                          int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http_listen: \"", address, "\" is not host:port"));
  }
  *host = address.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::OkStatus();
}

// cpp-httplib 0.11 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG,
// compiled into Debian's library): a burst of new connections overflows
// it and the overflowing ones fail their first request. Listening again on
// the bound socket widens the queue (Linux takes a second listen()).
template <typename Base>
class WideBacklog final : public Base {
 public:
  using Base::Base;
  bool Widen() { return ::listen(this->svr_sock_, SOMAXCONN) == 0; }
};

}  // namespace

HttpFront::HttpFront(HttpCore core, HttpFrontOptions options)
    : core_(core), options_(std::move(options)) {}

HttpFront::~HttpFront() { Stop(); }

void HttpFront::Serve(
    const char* route, const char* method, const httplib::Request& request,
    httplib::Response& response, bool has_body,
    const std::function<absl::StatusOr<std::string>(const Caller&)>& handle) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> body = [&]() -> absl::StatusOr<std::string> {
    absl::StatusOr<Caller> caller = core_.guard.Admit(
        HttpCredentialsOf(request, core_.auth_enabled), HttpPeerOf(request),
        method);
    if (!caller.ok()) return caller.status();
    if (has_body && !request.body.empty() &&
        !IsJson(request.get_header_value("Content-Type"))) {
      response.status = 415;
      return absl::InvalidArgumentError(absl::StrCat(
          "Content-Type: \"",
          request.get_header_value("Content-Type").substr(0, 100),
          "\" is not application/json"));
    }
    return handle(*caller);
  }();
  if (body.ok()) {
    response.status = 200;
    response.set_content(*std::move(body), kJson);
  } else {
    if (response.status != 415) {
      response.status = HttpStatusFor(body.status().code());
    }
    if (std::optional<absl::Duration> wait = RetryAfter(body.status())) {
      const int64_t seconds =
          std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                                   *wait, absl::Seconds(1))));
      response.set_header("Retry-After", absl::StrCat(seconds));
    }
    if (response.status == 401) {
      response.set_header("WWW-Authenticate", "Bearer");
    }
    response.set_content(ErrorJson(body.status()), kJson);
  }
  if (core_.metrics != nullptr) {
    core_.metrics->HttpHandled(route, response.status, absl::Now() - start);
  }
}

absl::StatusOr<std::string> HttpFront::RouteAndAnswer(const v1::Lead& lead) {
  absl::StatusOr<RouteOutcome> outcome = Await(
      [&](RouteCallback done) { core_.intake.Route(lead, std::move(done)); });
  if (!outcome.ok()) return outcome.status();
  v1::RouteLeadResponse response;
  *response.mutable_assignment() = std::move(outcome->assignment);
  response.set_replayed(outcome->replayed);
  return ToJson(response);
}

absl::StatusOr<std::string> HttpFront::Intake(const std::string& mapping_id,
                                              const std::string& body) {
  // The mapping of the config running now; the lead is then routed on
  // whatever table runs when it is decided, as any route is.
  std::shared_ptr<const routing::RoutingTable> table = core_.table.Get();
  const v1::IntakeMapping* mapping = table->FindIntakeMapping(mapping_id);
  if (mapping == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "mapping: no intake mapping \"", mapping_id.substr(0, 64),
        "\" in the running config (intake_mappings)"));
  }
  absl::StatusOr<v1::Lead> lead = routing::MapIntake(*mapping, body);
  if (!lead.ok()) return lead.status();
  return RouteAndAnswer(*lead);
}

void HttpFront::AddRoutes() {
  httplib::Server& s = *server_;
  s.Post("/v1/leads:route",
         [this](const httplib::Request& req, httplib::Response& res) {
           Serve("/v1/leads:route", "/leadrouter.v1.LeadRouter/RouteLead", req,
                 res, true, [&](const Caller&) -> absl::StatusOr<std::string> {
                   v1::RouteLeadRequest request;
                   if (auto p = ParseJsonBody(req.body, &request); !p.ok()) {
                     return p;
                   }
                   return RouteAndAnswer(request.lead());
                 });
         });
  s.Post(R"(/v1/intake/([^/]+))",
         [this](const httplib::Request& req, httplib::Response& res) {
           Serve("/v1/intake/{mapping}", "/leadrouter.v1.LeadRouter/RouteLead",
                 req, res, true,
                 [&](const Caller&) { return Intake(req.matches[1], req.body); });
         });
  s.Post("/v1/leads:explain",
         [this](const httplib::Request& req, httplib::Response& res) {
           Serve("/v1/leads:explain", "/leadrouter.v1.LeadRouter/ExplainRoute",
                 req, res, true,
                 [&](const Caller&) -> absl::StatusOr<std::string> {
                   v1::ExplainRouteRequest request;
                   if (auto p = ParseJsonBody(req.body, &request); !p.ok()) {
                     return p;
                   }
                   absl::StatusOr<v1::Assignment> assignment =
                       core_.intake.Explain(request.lead());
                   if (!assignment.ok()) return assignment.status();
                   v1::ExplainRouteResponse response;
                   *response.mutable_assignment() = *std::move(assignment);
                   return ToJson(response);
                 });
         });
  s.Get("/v1/assignments",
        [this](const httplib::Request& req, httplib::Response& res) {
          Serve("/v1/assignments", "/leadrouter.v1.AssignmentService/"
                "ListAssignments", req, res, false,
                [&](const Caller&) -> absl::StatusOr<std::string> {
                  v1::ListAssignmentsRequest request;
                  std::vector<std::pair<std::string, std::string>> params(
                      req.params.begin(), req.params.end());
                  if (auto p = ParseQuery(params, &request); !p.ok()) return p;
                  absl::StatusOr<v1::ListAssignmentsResponse> page =
                      core_.reads.List(request);
                  if (!page.ok()) return page.status();
                  return ToJson(*page);
                });
        });
  s.Get(R"(/v1/assignments/(.+))",
        [this](const httplib::Request& req, httplib::Response& res) {
          Serve("/v1/assignments/{lead_id}",
                "/leadrouter.v1.AssignmentService/GetAssignment", req, res,
                false, [&](const Caller&) -> absl::StatusOr<std::string> {
                  if (!req.params.empty()) {
                    return absl::InvalidArgumentError(absl::StrCat(
                        "query parameter \"",
                        req.params.begin()->first.substr(0, 64),
                        "\": no such parameter"));
                  }
                  absl::StatusOr<v1::Assignment> a =
                      core_.reads.Get(req.matches[1]);
                  if (!a.ok()) return a.status();
                  return ToJson(*a);
                });
        });
  // The three transitions differ in their message and the workflow step.
  auto transition = [this](const char* route, const char* method,
                           auto request_type, auto step) {
    return [this, route, method, step](const httplib::Request& req,
                                       httplib::Response& res) {
      Serve(route, method, req, res, true,
            [&](const Caller& caller) -> absl::StatusOr<std::string> {
              decltype(request_type) request;
              if (auto p = ParseJsonBody(req.body, &request); !p.ok()) return p;
              if (auto p = TakePathLeadId(req.matches[1],
                                          request.mutable_lead_id());
                  !p.ok()) {
                return p;
              }
              RepCheck may_act = nullptr;
              if (!caller.rep_ids.empty()) {
                may_act = [this, peer = HttpPeerOf(req), method, caller,
                           lead_id = request.lead_id()](
                              const std::string& rep_id) {
                  return core_.guard.CheckRep(peer, method, caller, rep_id,
                                              lead_id);
                };
              }
              absl::StatusOr<RouteOutcome> outcome =
                  Await([&](RouteCallback done) {
                    step(core_.workflow, request, std::move(done),
                         std::move(may_act));
                  });
              if (!outcome.ok()) return outcome.status();
              return ToJson(outcome->assignment);
            });
    };
  };
  s.Post(R"(/v1/assignments/(.+):accept)",
         transition("/v1/assignments/{lead_id}:accept",
                    "/leadrouter.v1.AssignmentService/AcceptAssignment",
                    v1::AcceptAssignmentRequest(),
                    [](AssignmentWorkflow& w,
                       const v1::AcceptAssignmentRequest& r, RouteCallback done,
                       RepCheck may_act) {
                      w.Accept(r.lead_id(), r.etag(), std::move(done),
                               std::move(may_act));
                    }));
  s.Post(R"(/v1/assignments/(.+):reject)",
         transition("/v1/assignments/{lead_id}:reject",
                    "/leadrouter.v1.AssignmentService/RejectAssignment",
                    v1::RejectAssignmentRequest(),
                    [](AssignmentWorkflow& w,
                       const v1::RejectAssignmentRequest& r, RouteCallback done,
                       RepCheck may_act) {
                      w.Reject(r.lead_id(), r.etag(), r.note(),
                               std::move(done), std::move(may_act));
                    }));
  s.Post(R"(/v1/assignments/(.+):close)",
         transition("/v1/assignments/{lead_id}:close",
                    "/leadrouter.v1.AssignmentService/CloseAssignment",
                    v1::CloseAssignmentRequest(),
                    [](AssignmentWorkflow& w,
                       const v1::CloseAssignmentRequest& r, RouteCallback done,
                       RepCheck may_act) {
                      w.Close(r.lead_id(), r.etag(), r.outcome(), r.note(),
                              std::move(done), std::move(may_act));
                    }));
  // What the library answers itself (no such route, a body over the
  // limit, a request it cannot parse) gets a JSON error too.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    absl::Status status;
    switch (res.status) {
      case 404:
        status = absl::NotFoundError(
            "no such route; see README.md \"HTTP/JSON API\"");
        break;
      case 413:
        status = absl::InvalidArgumentError(absl::StrCat(
            "body: larger than ", options_.max_body_bytes, " bytes"));
        break;
      case 400:
        status = absl::InvalidArgumentError(
            "request: not HTTP this server reads (a POST needs a "
            "Content-Length; send {} for no fields)");
        break;
      default:
        status = absl::InvalidArgumentError(
            absl::StrCat("request: refused with HTTP status ", res.status));
    }
    res.set_content(ErrorJson(status), kJson);
    if (core_.metrics != nullptr && res.status == 404) {
      core_.metrics->HttpHandled("unmatched", res.status, absl::ZeroDuration());
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                             std::exception_ptr) {
    res.status = 500;
    res.set_content(ErrorJson(absl::InternalError("the request failed")),
                    kJson);
  });
}

absl::Status HttpFront::Start() {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitAddress(options_.listen_address, &host, &port);
      !s.ok()) {
    return s;
  }
  const TransportOptions& t = options_.transport;
  if (t.tls_cert.empty() != t.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together (the HTTP port uses them too)");
  }
  if (t.tls_cert.empty()) {
    if (!IsLoopbackListenAddress(options_.listen_address) &&
        !t.insecure_plaintext) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--http_listen: plaintext on the non-loopback address ",
          options_.listen_address,
          "; give --tls_cert and --tls_key, or --insecure_plaintext for "
          "development"));
    }
    auto plain = std::make_unique<WideBacklog<httplib::Server>>();
    widen_backlog_ = [raw = plain.get()] { return raw->Widen(); };
    server_ = std::move(plain);
  } else {
    // As the gRPC port: TLS 1.2 or later, and with a client CA a client
    // certificate it signed is required.
    key_pair_ = std::make_unique<TlsKeyPair>(t.tls_cert, t.tls_key,
                                             t.tls_refresh_interval);
    if (absl::Status s = key_pair_->Load(); !s.ok()) return s;
    // As the gRPC port: TLS 1.2 or later, the key pair re-read while
    // serving, and with a client CA a client certificate it signed is
    // required.
    auto ssl = std::make_unique<WideBacklog<httplib::SSLServer>>(
        [this, &t](SSL_CTX& ctx) {
          SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
          key_pair_->InstallOn(ctx);
          if (!t.tls_client_ca.empty()) {
            if (SSL_CTX_load_verify_locations(&ctx, t.tls_client_ca.c_str(),
                                              nullptr) != 1) {
              return false;
            }
            SSL_CTX_set_verify(
                &ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                nullptr);
          }
          return true;
        });
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          "--http_listen: the client CA could not be loaded "
          "(--tls_client_ca)");
    }
    widen_backlog_ = [raw = ssl.get()] { return raw->Widen(); };
    server_ = std::move(ssl);
  }
  const int threads = std::max(1, options_.threads);
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(std::chrono::milliseconds(
      absl::ToInt64Milliseconds(options_.read_timeout)));
  server_->set_keep_alive_timeout(
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.keep_alive)));
  server_->set_keep_alive_max_count(100000);
  server_->set_tcp_nodelay(true);
  AddRoutes();
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else if (server_->bind_to_port(host, port)) {
    port_ = port;
  }
  if (port_ <= 0 || !widen_backlog_()) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--http_listen: cannot listen on ", options_.listen_address));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpFront::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace leadrouter::server

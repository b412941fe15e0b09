// One channel per address; calls take the next one in turn. Backoff is
// "full jitter": a uniform wait up to the capped exponential, so clients
// that failed together do not retry together. A call an overloaded server
// shed waits what the server asked for instead (its retry pushback, between
// half and one and a half times it, within max_backoff), when it asked.
#include "client/client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"

namespace leadrouter {
namespace {

absl::Status ToAbslStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// Where a stream's shed lead keeps the server's retry wait on the client.
constexpr char kRetryAfterPayload[] = "leadrouter/retry_after_ms";

absl::StatusOr<v1::RouteLeadResponse> FromStream(
    const v1::RouteLeadsResponse& r) {
  if (r.has_error()) {
    absl::Status s(static_cast<absl::StatusCode>(r.error().code()),
                   r.error().message());
    if (r.error().retry_after_ms() > 0) {
      s.SetPayload(kRetryAfterPayload,
                   absl::Cord(absl::StrCat(r.error().retry_after_ms())));
    }
    return s;
  }
  return r.routed();
}

// The wait a shed lead of a stream asks for; zero when none.
absl::Duration StreamRetryAfter(const absl::Status& s) {
  auto payload = s.GetPayload(kRetryAfterPayload);
  int64_t millis = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &millis)) {
    return absl::ZeroDuration();
  }
  return absl::Milliseconds(millis);
}

// The wait the server asked for in a unary call's trailers; zero when none.
absl::Duration Pushback(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("grpc-retry-pushback-ms");
  int64_t millis = 0;
  if (it == trailers.end() ||
      !absl::SimpleAtoi(absl::string_view(it->second.data(),
                                          it->second.size()),
                        &millis) ||
      millis < 0) {
    return absl::ZeroDuration();
  }
  return absl::Milliseconds(millis);
}

// Sleeps between half and one and a half times `wait`, at most `limit`.
void SleepAround(absl::Duration wait, absl::Duration limit) {
  wait = std::min(wait, limit);
  if (wait <= absl::ZeroDuration()) return;
  thread_local absl::BitGen random;
  const int64_t us = absl::ToInt64Microseconds(wait);
  const int64_t most = std::min(us + us / 2, absl::ToInt64Microseconds(limit));
  absl::SleepFor(absl::Microseconds(
      absl::Uniform<int64_t>(absl::IntervalClosed, random, us / 2, most)));
}

}  // namespace

struct Client::Endpoint {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::LeadRouter::Stub> router;
  std::unique_ptr<v1::AssignmentService::Stub> assignments;
  std::unique_ptr<v1::RoutingAdmin::Stub> admin;
};

std::shared_ptr<grpc::Channel> CreateLeadrouterChannel(
    const std::string& address, const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_certs;
    ssl.pem_cert_chain = options.tls_client_cert;
    ssl.pem_private_key = options.tls_client_key;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  // gRPC's own reconnect backoff (1 s doubling to 2 min) would let every
  // retry fail fast long after a restarted server is back: keep it in step
  // with the call backoff. (Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: that is
  // also the connect timeout, and a short one aborts slow handshakes.)
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.initial_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.max_backoff)));
  if (options.tls && !options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

Client::Client(const ClientOptions& options) : options_(options) {
  auto connect = [&](const std::string& address) {
    auto e = std::make_unique<Endpoint>();
    e->channel = CreateLeadrouterChannel(address, options);
    e->router = v1::LeadRouter::NewStub(e->channel);
    e->assignments = v1::AssignmentService::NewStub(e->channel);
    e->admin = v1::RoutingAdmin::NewStub(e->channel);
    endpoints_.push_back(std::move(e));
  };
  for (absl::string_view address :
       absl::StrSplit(options.address, ',', absl::SkipWhitespace())) {
    connect(std::string(address));
  }
  if (endpoints_.empty()) connect("");  // calls fail with the channel's error
}

Client::~Client() = default;

Client::Endpoint& Client::Next() {
  return *endpoints_[next_.fetch_add(1, std::memory_order_relaxed) %
                     endpoints_.size()];
}

void Client::Prepare(grpc::ClientContext& context,
                     absl::Duration deadline) const {
  if (deadline > absl::ZeroDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.bearer_token);
  }
}

void Client::Backoff(int failures) const {
  absl::Duration cap = options_.initial_backoff;
  for (int i = 1; i < failures && cap < options_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, options_.max_backoff);
  thread_local absl::BitGen random;
  absl::SleepFor(absl::Microseconds(absl::Uniform<int64_t>(
      absl::IntervalClosed, random, 0, absl::ToInt64Microseconds(cap))));
}

namespace {
// How leadrouterd's overload refusals begin (server/api/commit_admission.cc).
constexpr absl::string_view kOverloadedPrefix = "leadrouterd is overloaded";
}  // namespace

absl::Status Client::Run(bool retry, const Attempt& attempt,
                         absl::Duration timeout) {
  // The deadline covers the call, retries included.
  const absl::Time deadline =
      absl::Now() +
      (timeout == absl::ZeroDuration() ? options_.timeout : timeout);
  const int attempts = std::max(1, options_.max_attempts);
  grpc::Status status;
  for (int n = 1;; ++n) {
    grpc::ClientContext context;
    Prepare(context, deadline - absl::Now());
    // A retry waits (within the deadline) for the server to be reachable
    // again instead of failing at once while the channel reconnects.
    if (n > 1) context.set_wait_for_ready(true);
    status = attempt(Next(), context);
    // A server that shuts down cancels the calls it had not started yet;
    // this client never cancels a unary call itself, so CANCELLED means
    // "not done, or done and unanswered": as safe to repeat as UNAVAILABLE.
    const bool transient =
        status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::CANCELLED;
    // An overloaded leadrouterd sheds a call before doing anything for it,
    // so even a state transition may be sent again (other
    // RESOURCE_EXHAUSTED, such as a message too large, are final).
    const bool shed =
        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        absl::StartsWith(status.error_message(), kOverloadedPrefix);
    if (!((retry && transient) || shed) || n >= attempts ||
        absl::Now() >= deadline) {
      break;
    }
    if (const absl::Duration wait = Pushback(context);
        shed && wait > absl::ZeroDuration()) {
      SleepAround(wait, std::min(options_.max_backoff, deadline - absl::Now()));
    } else {
      Backoff(n);
    }
  }
  return ToAbslStatus(status);
}

template <typename Response, typename Fn>
absl::StatusOr<Response> Client::Unary(bool retry, Fn fn,
                                        absl::Duration timeout) {
  Response response;
  absl::Status status = Run(
      retry,
      [&](Endpoint& e, grpc::ClientContext& context) {
        response.Clear();
        return fn(e, &context, &response);
      },
      timeout);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::RouteLeadResponse> Client::Route(const v1::Lead& lead) {
  v1::RouteLeadRequest request;
  *request.mutable_lead() = lead;
  return Unary<v1::RouteLeadResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.router->RouteLead(c, request, r);
      });
}

namespace {
bool Shed(const absl::StatusOr<v1::RouteLeadResponse>& result) {
  return result.status().code() == absl::StatusCode::kResourceExhausted &&
         absl::StartsWith(result.status().message(), kOverloadedPrefix);
}
}  // namespace

std::vector<absl::StatusOr<v1::RouteLeadResponse>> Client::RouteMany(
    const std::vector<v1::Lead>& leads, size_t max_in_flight,
    const std::function<void(size_t,
                             const absl::StatusOr<v1::RouteLeadResponse>&)>&
        on_result) {
  std::vector<absl::StatusOr<v1::RouteLeadResponse>> results(
      leads.size(), absl::UnknownError("not sent"));
  // Results are reported in order. One that an overloaded server shed holds
  // the report back until it is routed again (after the stream, with
  // backoff, in rounds), so `on_result` never sees a lead after one that is
  // still unanswered.
  size_t reported = 0;
  auto report = [&] {
    while (reported < results.size() && !Shed(results[reported]) &&
           results[reported].status().code() != absl::StatusCode::kUnknown) {
      if (on_result) on_result(reported, results[reported]);
      ++reported;
    }
  };
  RouteStream(leads, max_in_flight, results, report);
  report();
  const absl::Time deadline = absl::Now() + options_.timeout;
  for (int round = 1; reported < results.size() &&
                      round < std::max(1, options_.max_attempts) &&
                      absl::Now() < deadline;
       ++round) {
    std::vector<size_t> again;
    absl::Duration wait = absl::ZeroDuration();  // the longest asked for
    for (size_t i = reported; i < results.size(); ++i) {
      if (Shed(results[i])) {
        again.push_back(i);
        wait = std::max(wait, StreamRetryAfter(results[i].status()));
      }
    }
    if (again.empty()) break;
    if (wait > absl::ZeroDuration()) {
      SleepAround(wait, std::min(options_.max_backoff, deadline - absl::Now()));
    } else {
      Backoff(round);
    }
    std::vector<v1::Lead> retry;
    retry.reserve(again.size());
    for (size_t i : again) retry.push_back(leads[i]);
    std::vector<absl::StatusOr<v1::RouteLeadResponse>> retried(
        retry.size(), absl::UnknownError("not sent"));
    RouteStream(retry, max_in_flight, retried, nullptr);
    for (size_t k = 0; k < again.size(); ++k) {
      results[again[k]] = std::move(retried[k]);
    }
    report();
  }
  // What is still shed (or unanswered) is final now.
  for (; reported < results.size(); ++reported) {
    if (on_result) on_result(reported, results[reported]);
  }
  return results;
}

void Client::RouteStream(
    const std::vector<v1::Lead>& leads, size_t max_in_flight,
    std::vector<absl::StatusOr<v1::RouteLeadResponse>>& results,
    const std::function<void()>& on_answer) {
  max_in_flight = std::max<size_t>(1, max_in_flight);
  size_t answered = 0;  // results[0, answered) are final
  int failures = 0;     // broken streams in a row without progress
  while (answered < leads.size()) {
    const size_t start = answered;
    grpc::ClientContext context;
    // A deadline that grows with the work left.
    Prepare(context, options_.timeout + absl::Milliseconds(10) *
                                            static_cast<int64_t>(
                                                leads.size() - start));
    if (failures > 0) context.set_wait_for_ready(true);  // a resend
    auto stream = Next().router->RouteLeads(&context);
    std::mutex mu;
    std::condition_variable room;
    bool reading_done = false;
    std::thread writer([&] {
      for (size_t i = start; i < leads.size(); ++i) {
        {
          std::unique_lock lock(mu);
          room.wait(lock, [&] {
            return reading_done || i - answered < max_in_flight;
          });
          if (reading_done) break;
        }
        v1::RouteLeadRequest request;
        *request.mutable_lead() = leads[i];
        if (!stream->Write(request)) break;
      }
      stream->WritesDone();
    });
    v1::RouteLeadsResponse response;
    while (stream->Read(&response)) {
      std::lock_guard lock(mu);
      results[answered] = FromStream(response);
      ++answered;
      if (on_answer) on_answer();
      room.notify_all();
    }
    {
      std::lock_guard lock(mu);
      reading_done = true;
      room.notify_all();
    }
    writer.join();
    const grpc::Status status = stream->Finish();
    if (answered == leads.size()) break;
    failures = answered > start ? 1 : failures + 1;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        failures < std::max(1, options_.max_attempts)) {
      Backoff(failures);
      continue;  // resend what has no answer: routing is idempotent
    }
    for (size_t i = answered; i < leads.size(); ++i) {
      results[i] = status.ok() ? absl::InternalError("stream ended early")
                               : ToAbslStatus(status);
    }
    break;
  }
}

absl::StatusOr<v1::Assignment> Client::Explain(const v1::Lead& lead) {
  v1::ExplainRouteRequest request;
  *request.mutable_lead() = lead;
  auto response = Unary<v1::ExplainRouteResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.router->ExplainRoute(c, request, r);
      });
  if (!response.ok()) return response.status();
  return response->assignment();
}

absl::StatusOr<v1::Assignment> Client::GetAssignment(
    const std::string& lead_id) {
  v1::GetAssignmentRequest request;
  request.set_lead_id(lead_id);
  return Unary<v1::Assignment>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->GetAssignment(c, request, r);
      });
}

absl::StatusOr<v1::ListAssignmentsResponse> Client::ListAssignments(
    const v1::ListAssignmentsRequest& request) {
  return Unary<v1::ListAssignmentsResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->ListAssignments(c, request, r);
      });
}

absl::Status Client::ForEachAssignment(
    v1::ListAssignmentsRequest request,
    const std::function<bool(const v1::Assignment&)>& each) {
  while (true) {
    absl::StatusOr<v1::ListAssignmentsResponse> page = ListAssignments(request);
    if (!page.ok()) return page.status();
    for (const v1::Assignment& a : page->assignments()) {
      if (!each(a)) return absl::OkStatus();
    }
    if (page->next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<v1::ListQueuesResponse> Client::ListQueues(
    const std::string& team_id) {
  v1::ListQueuesRequest request;
  request.set_team_id(team_id);
  return Unary<v1::ListQueuesResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->ListQueues(c, request, r);
      });
}

absl::StatusOr<v1::Assignment> Client::Accept(
    const v1::AcceptAssignmentRequest& request) {
  return Unary<v1::Assignment>(
      false, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->AcceptAssignment(c, request, r);
      });
}

absl::StatusOr<v1::Assignment> Client::Reject(
    const v1::RejectAssignmentRequest& request) {
  return Unary<v1::Assignment>(
      false, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->RejectAssignment(c, request, r);
      });
}

absl::StatusOr<v1::Assignment> Client::Close(
    const v1::CloseAssignmentRequest& request) {
  return Unary<v1::Assignment>(
      false, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->CloseAssignment(c, request, r);
      });
}

absl::StatusOr<v1::Assignment> Client::Erase(const std::string& lead_id) {
  v1::EraseLeadRequest request;
  request.set_lead_id(lead_id);
  return Unary<v1::Assignment>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.assignments->EraseLead(c, request, r);
      });
}

absl::Status Client::Watch(
    v1::WatchAssignmentsRequest request,
    const std::function<bool(const v1::AssignmentEvent&)>& on_event) {
  int failures = 0;
  while (true) {
    grpc::ClientContext context;
    Prepare(context, absl::ZeroDuration());
    if (failures > 0) context.set_wait_for_ready(true);  // a resume
    auto reader = Next().assignments->WatchAssignments(&context, request);
    v1::AssignmentEvent event;
    bool progressed = false;
    while (reader->Read(&event)) {
      progressed = true;
      // Resume after this event, whatever the request started from.
      request.set_cursor(event.cursor());
      request.set_from_start(false);
      if (!on_event(event)) {
        context.TryCancel();
        reader->Finish().IgnoreError();
        return absl::OkStatus();
      }
    }
    const grpc::Status status = reader->Finish();
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      return ToAbslStatus(status);
    }
    failures = progressed ? 1 : failures + 1;
    if (failures >= std::max(1, options_.max_attempts)) {
      return ToAbslStatus(status);
    }
    Backoff(failures);
  }
}

absl::StatusOr<v1::GetConfigResponse> Client::GetConfig(
    const std::string& version) {
  v1::GetConfigRequest request;
  request.set_version(version);
  return Unary<v1::GetConfigResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->GetConfig(c, request, r);
      });
}

absl::StatusOr<v1::ApplyConfigResponse> Client::ApplyConfig(
    const v1::ApplyConfigRequest& request) {
  return Unary<v1::ApplyConfigResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->ApplyConfig(c, request, r);
      });
}

absl::StatusOr<v1::SimulateConfigResponse> Client::SimulateConfig(
    const v1::SimulateConfigRequest& request, absl::Duration timeout) {
  return Unary<v1::SimulateConfigResponse>(
      true,
      [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->SimulateConfig(c, request, r);
      },
      timeout);
}

absl::StatusOr<v1::ListRepsResponse> Client::ListReps(
    const std::string& team_id, int fairness_days) {
  v1::ListRepsRequest request;
  request.set_team_id(team_id);
  request.set_fairness_days(fairness_days);
  return Unary<v1::ListRepsResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->ListReps(c, request, r);
      });
}

absl::StatusOr<v1::SetRepAvailabilityResponse> Client::SetRepAvailability(
    const v1::SetRepAvailabilityRequest& request) {
  return Unary<v1::SetRepAvailabilityResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->SetRepAvailability(c, request, r);
      });
}

absl::StatusOr<v1::ListAuditEventsResponse> Client::ListAuditEvents(
    const v1::ListAuditEventsRequest& request) {
  return Unary<v1::ListAuditEventsResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->ListAuditEvents(c, request, r);
      });
}

absl::StatusOr<v1::ListDeadLettersResponse> Client::ListDeadLetters(
    const v1::ListDeadLettersRequest& request) {
  return Unary<v1::ListDeadLettersResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->ListDeadLetters(c, request, r);
      });
}

absl::StatusOr<v1::RetryDeadLettersResponse> Client::RetryDeadLetters(
    const v1::RetryDeadLettersRequest& request) {
  // Marking again marks nothing new: safe to retry.
  return Unary<v1::RetryDeadLettersResponse>(
      true, [&](Endpoint& e, grpc::ClientContext* c, auto* r) {
        return e.admin->RetryDeadLetters(c, request, r);
      });
}

absl::Status Client::Backup(
    const std::function<bool(const v1::BackupChunk&)>& on_chunk) {
  grpc::ClientContext context;
  Prepare(context, absl::ZeroDuration());
  auto reader = Next().admin->Backup(&context, v1::BackupRequest());
  v1::BackupChunk chunk;
  while (reader->Read(&chunk)) {
    if (!on_chunk(chunk)) {
      context.TryCancel();
      reader->Finish().IgnoreError();
      return absl::CancelledError("backup: stopped by the caller");
    }
  }
  return ToAbslStatus(reader->Finish());
}

}  // namespace leadrouter

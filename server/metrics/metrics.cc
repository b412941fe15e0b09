// Names follow the Prometheus conventions (_total counters, _seconds
// durations) and, for RPCs, the names gRPC users know from
// go-grpc-prometheus, so existing dashboards and alerts fit.
#include "server/metrics/metrics.h"

#include <mutex>

#include "absl/strings/str_cat.h"

namespace leadrouter::server {
namespace {

using prometheus::Histogram;

const char* OutcomeName(Metrics::Outcome o) {
  switch (o) {
    case Metrics::Outcome::kAssigned:
      return "assigned";
    case Metrics::Outcome::kQueued:
      return "queued";
    case Metrics::Outcome::kReplayed:
      return "replayed";
    case Metrics::Outcome::kRejectedInput:
      return "rejected_input";
    case Metrics::Outcome::kShed:
      return "shed";
  }
  return "unknown";
}

const char* TypeName(Metrics::RpcType t) {
  switch (t) {
    case Metrics::RpcType::kUnary:
      return "unary";
    case Metrics::RpcType::kClientStream:
      return "client_stream";
    case Metrics::RpcType::kServerStream:
      return "server_stream";
    case Metrics::RpcType::kBidiStream:
      return "bidi_stream";
  }
  return "unknown";
}

// grpc::StatusCode names, in code order.
constexpr std::array<const char*, 17> kCodes = {
    "OK",          "Canceled",          "Unknown",          "InvalidArgument",
    "DeadlineExceeded", "NotFound",     "AlreadyExists",    "PermissionDenied",
    "ResourceExhausted", "FailedPrecondition", "Aborted",   "OutOfRange",
    "Unimplemented", "Internal",        "Unavailable",      "DataLoss",
    "Unauthenticated"};

Histogram::BucketBoundaries RpcBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_started_(prometheus::BuildCounter()
                       .Name("grpc_server_started_total")
                       .Help("RPCs started on the server.")
                       .Register(*registry_)),
      rpc_handled_(prometheus::BuildCounter()
                       .Name("grpc_server_handled_total")
                       .Help("RPCs completed on the server, by status code.")
                       .Register(*registry_)),
      rpc_seconds_(prometheus::BuildHistogram()
                       .Name("grpc_server_handling_seconds")
                       .Help("Time from the start of an RPC to its status.")
                       .Register(*registry_)),
      leads_(prometheus::BuildCounter()
                 .Name("leadrouter_leads_total")
                 .Help("Leads received by rule, team and outcome (assigned, "
                       "queued, replayed, rejected_input).")
                 .Register(*registry_)),
      decision_seconds_(
          prometheus::BuildHistogram()
              .Name("leadrouter_decision_seconds")
              .Help("Time to decide where a lead goes (routing core only).")
              .Register(*registry_)
              .Add({}, Histogram::BucketBoundaries{
                           1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 1e-3,
                           1e-2})),
      commit_seconds_(prometheus::BuildHistogram()
                          .Name("leadrouter_store_commit_seconds")
                          .Help("Time to commit one group of changes "
                                "(including the fsync).")
                          .Register(*registry_)
                          .Add({}, Histogram::BucketBoundaries{
                                       0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                       0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                       1})),
      commit_batch_(prometheus::BuildHistogram()
                        .Name("leadrouter_store_commit_batch_size")
                        .Help("Changes committed together in one transaction.")
                        .Register(*registry_)
                        .Add({}, Histogram::BucketBoundaries{
                                     1, 2, 4, 8, 16, 32, 64, 128, 256, 512})),
      sla_reroutes_(prometheus::BuildCounter()
                        .Name("leadrouter_sla_reroutes_total")
                        .Help("Leads re-routed because the response time "
                              "lapsed, by team.")
                        .Register(*registry_)),
      sla_escalations_(prometheus::BuildCounter()
                           .Name("leadrouter_sla_escalations_total")
                           .Help("Leads escalated after too many lapses, by "
                                 "team.")
                           .Register(*registry_)),
      retention_deleted_(prometheus::BuildCounter()
                             .Name("leadrouter_retention_deleted_total")
                             .Help("Rows deleted by retention: closed leads "
                                   "(kind=leads, with their events) and "
                                   "events past --event_retention "
                                   "(kind=events).")
                             .Register(*registry_)),
      http_requests_(prometheus::BuildCounter()
                         .Name("leadrouter_http_requests_total")
                         .Help("Requests of the HTTP/JSON port by route "
                               "pattern and HTTP status.")
                         .Register(*registry_)),
      http_seconds_(prometheus::BuildHistogram()
                        .Name("leadrouter_http_request_seconds")
                        .Help("Time from a request's arrival to its answer, "
                              "by route pattern.")
                        .Register(*registry_)),
      webhook_delivered_(prometheus::BuildCounter()
                             .Name("leadrouter_webhook_deliveries_total")
                             .Help("Events delivered to a webhook "
                                   "subscription (2xx answer).")
                             .Register(*registry_)),
      webhook_failures_(prometheus::BuildCounter()
                            .Name("leadrouter_webhook_failures_total")
                            .Help("Failed webhook delivery attempts, by "
                                  "subscription.")
                            .Register(*registry_)),
      webhook_dead_letters_(prometheus::BuildCounter()
                                .Name("leadrouter_webhook_dead_letters_total")
                                .Help("Events a webhook subscription gave up "
                                      "on (see leadctl webhooks).")
                                .Register(*registry_)),
      webhook_lag_(prometheus::BuildGauge()
                       .Name("leadrouter_webhook_lag_seconds")
                       .Help("Age of the event a webhook subscription is "
                             "delivering; 0 when caught up.")
                       .Register(*registry_)),
      config_info_(prometheus::BuildGauge()
                       .Name("leadrouter_config_info")
                       .Help("1 for the routing config version running now.")
                       .Register(*registry_)),
      config_loaded_at_(
          prometheus::BuildGauge()
              .Name("leadrouter_config_last_reload_timestamp_seconds")
              .Help("When the running routing config was loaded (Unix time).")
              .Register(*registry_)
              .Add({})) {}

const Metrics::RpcMethod& Metrics::Rpc(std::string_view full_method,
                                       RpcType type) {
  {
    std::shared_lock lock(rpc_mu_);
    auto it = rpc_.find(absl::string_view(full_method.data(), full_method.size()));
    if (it != rpc_.end()) return it->second;
  }
  // "/leadrouter.v1.LeadRouter/RouteLead" -> service, method.
  std::string_view name = full_method;
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  const size_t slash = name.find('/');
  const std::string service(name.substr(0, slash));
  const std::string method(slash == std::string_view::npos
                               ? std::string_view()
                               : name.substr(slash + 1));
  const prometheus::Labels base = {{"grpc_service", service},
                                   {"grpc_method", method},
                                   {"grpc_type", TypeName(type)}};
  RpcMethod m;
  m.started = &rpc_started_.Add(base);
  for (size_t code = 0; code < kCodes.size(); ++code) {
    prometheus::Labels labels = base;
    labels["grpc_code"] = kCodes[code];
    m.handled[code] = &rpc_handled_.Add(labels);
  }
  m.handling_seconds = &rpc_seconds_.Add(base, RpcBuckets());
  std::unique_lock lock(rpc_mu_);
  return rpc_.try_emplace(std::string(full_method), m).first->second;
}

void Metrics::LeadRouted(const std::string& rule, const std::string& team,
                         const std::string& source, Outcome outcome) {
  leads_
      .Add({{"rule", rule},
            {"team", team},
            {"source", source},
            {"outcome", OutcomeName(outcome)}})
      .Increment();
}

void Metrics::HttpHandled(const std::string& route, int status,
                          absl::Duration d) {
  http_requests_.Add({{"route", route}, {"code", absl::StrCat(status)}})
      .Increment();
  http_seconds_.Add({{"route", route}}, RpcBuckets())
      .Observe(absl::ToDoubleSeconds(d));
}

void Metrics::WebhookDelivered(const std::string& subscription) {
  webhook_delivered_.Add({{"subscription", subscription}}).Increment();
}

void Metrics::WebhookFailed(const std::string& subscription) {
  webhook_failures_.Add({{"subscription", subscription}}).Increment();
}

void Metrics::WebhookDeadLettered(const std::string& subscription) {
  webhook_dead_letters_.Add({{"subscription", subscription}}).Increment();
}

void Metrics::WebhookLag(const std::string& subscription, absl::Duration lag) {
  webhook_lag_.Add({{"subscription", subscription}})
      .Set(std::max(0.0, absl::ToDoubleSeconds(lag)));
}

void Metrics::DecisionTook(absl::Duration d) {
  decision_seconds_.Observe(absl::ToDoubleSeconds(d));
}

void Metrics::CommitTook(absl::Duration d, int batch_size) {
  commit_seconds_.Observe(absl::ToDoubleSeconds(d));
  commit_batch_.Observe(batch_size);
}

void Metrics::ResponseTimeLapsed(const std::string& team, bool escalated) {
  (escalated ? sla_escalations_ : sla_reroutes_).Add({{"team", team}})
      .Increment();
}

void Metrics::RetentionDeleted(int64_t leads, int64_t events) {
  if (leads > 0) {
    retention_deleted_.Add({{"kind", "leads"}})
        .Increment(static_cast<double>(leads));
  }
  if (events > 0) {
    retention_deleted_.Add({{"kind", "events"}})
        .Increment(static_cast<double>(events));
  }
}

void Metrics::ConfigLoaded(const std::string& version, absl::Time at) {
  std::lock_guard lock(config_mu_);
  if (config_version_ != nullptr) config_info_.Remove(config_version_);
  config_version_ = &config_info_.Add({{"version", version}});
  config_version_->Set(1);
  config_loaded_at_.Set(absl::ToDoubleSeconds(at - absl::UnixEpoch()));
}

}  // namespace leadrouter::server

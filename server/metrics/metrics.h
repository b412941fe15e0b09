// Metrics: the one object that owns leadrouterd's Prometheus registry and
// every metric family in it. Built once in main and passed by reference (no
// globals, so tests stay independent). Labels are low-cardinality and never
// personal: gRPC service/method/code, rule and team ids from the config,
// outcomes; never a lead id, a rep id or an e-mail.
//
//   Metrics metrics;
//   metrics.LeadRouted("dach", "dach", "webinar", Metrics::Outcome::kAssigned);
//   prometheus::Exposer exposer("127.0.0.1:9464");
//   exposer.RegisterCollectable(metrics.registry());
#ifndef LEADROUTER_SERVER_METRICS_METRICS_H_
#define LEADROUTER_SERVER_METRICS_METRICS_H_

#include <array>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace leadrouter::server {

// Thread-safe.
class Metrics {
 public:
  // What became of a lead sent to RouteLead / RouteLeads; kShed: refused
  // at once because too many writes waited for a commit.
  enum class Outcome { kAssigned, kQueued, kReplayed, kRejectedInput, kShed };
  // How an RPC streams, as grpc_type labels it.
  enum class RpcType { kUnary, kClientStream, kServerStream, kBidiStream };

  // One RPC method's children, built once.
  struct RpcMethod {
    prometheus::Counter* started = nullptr;
    std::array<prometheus::Counter*, 17> handled{};  // by grpc status code
    prometheus::Histogram* handling_seconds = nullptr;
  };

  Metrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // The children of "/package.Service/Method" (created on first use for a
  // method not seen before).
  const RpcMethod& Rpc(std::string_view full_method, RpcType type);

  // `source` is the label the table gives the lead's source
  // (RoutingTable::SourceLabel): bounded by the config.
  void LeadRouted(const std::string& rule, const std::string& team,
                  const std::string& source, Outcome outcome);
  void DecisionTook(absl::Duration d);
  void CommitTook(absl::Duration d, int batch_size);
  void ResponseTimeLapsed(const std::string& team, bool escalated);
  // Rows retention deleted.
  void RetentionDeleted(int64_t leads, int64_t events);
  // One request of the HTTP front: `route` is its pattern
  // ("/v1/assignments/{lead_id}", never a path with an id), `status` the
  // HTTP status answered.
  void HttpHandled(const std::string& route, int status, absl::Duration d);
  // Outbound webhooks, by subscription id (bounded by the config): events
  // delivered, failed attempts, events given up on, and how old the event
  // being delivered is (0 when caught up).
  void WebhookDelivered(const std::string& subscription);
  void WebhookFailed(const std::string& subscription);
  void WebhookDeadLettered(const std::string& subscription);
  void WebhookLag(const std::string& subscription, absl::Duration lag);
  // The running config and when it was loaded.
  void ConfigLoaded(const std::string& version, absl::Time at);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_started_;
  prometheus::Family<prometheus::Counter>& rpc_handled_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Family<prometheus::Counter>& leads_;
  prometheus::Histogram& decision_seconds_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Histogram& commit_batch_;
  prometheus::Family<prometheus::Counter>& sla_reroutes_;
  prometheus::Family<prometheus::Counter>& sla_escalations_;
  prometheus::Family<prometheus::Counter>& retention_deleted_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_seconds_;
  prometheus::Family<prometheus::Counter>& webhook_delivered_;
  prometheus::Family<prometheus::Counter>& webhook_failures_;
  prometheus::Family<prometheus::Counter>& webhook_dead_letters_;
  prometheus::Family<prometheus::Gauge>& webhook_lag_;
  prometheus::Family<prometheus::Gauge>& config_info_;
  prometheus::Gauge& config_loaded_at_;

  std::shared_mutex rpc_mu_;
  // By full method; nodes, so references handed out stay valid. rpc_mu_
  absl::node_hash_map<std::string, RpcMethod> rpc_;
  std::mutex config_mu_;
  prometheus::Gauge* config_version_ = nullptr;  // config_mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_METRICS_METRICS_H_

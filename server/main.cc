// leadrouterd: the leadrouter gRPC server. Flags are parsed here and nowhere
// else; everything below receives DaemonOptions.
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "routing/config_validation.h"
#include "server/daemon.h"
#include "server/retention_pass.h"
#include "server/store/store_uri.h"

ABSL_FLAG(std::string, config, "",
          "Routing config file (YAML, see deploy/config/example.yaml).");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address, host:port; port 0 picks a free port.");
ABSL_FLAG(std::string, data_dir, "data",
          "Directory of the embedded store (created if missing).");
ABSL_FLAG(std::string, store, "",
          "Shared store: a PostgreSQL connection string, e.g. "
          "postgresql://leadrouter@db:5432/leadrouter (libpq's PG* "
          "environment variables and ~/.pgpass work too). Empty: the "
          "embedded SQLite store under --data_dir.");
ABSL_FLAG(bool, migrate_only, false,
          "Create or upgrade the store's schema, then exit (for deploy "
          "pipelines); needs no --config.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM, how long in-flight calls may finish before they are "
          "cancelled.");
ABSL_FLAG(absl::Duration, queue_interval, absl::Seconds(1),
          "How often leads waiting in team and rep queues are offered to "
          "reps who became eligible (absence over, working hours begun, new "
          "day).");

ABSL_FLAG(absl::Duration, sla_interval, absl::Seconds(1),
          "How often assigned leads are checked against their team's "
          "response time (response_sla), to re-route or escalate them.");

ABSL_FLAG(std::string, event_retention, "0",
          "How long the change stream keeps events (e.g. 30d, 12h); older "
          "events of closed leads are deleted, and a watch cursor older "
          "than the window gets OUT_OF_RANGE. 0 keeps everything.");
ABSL_FLAG(std::string, closed_lead_retention, "0",
          "Delete a closed lead with all its events this long after it "
          "closed (e.g. 365d; storage limitation). 0 keeps them.");
ABSL_FLAG(absl::Duration, retention_interval, absl::Seconds(10),
          "How often what retention lets go is deleted (in small batches).");
ABSL_FLAG(std::string, restore, "",
          "Start from this backup (leadctl backup): it becomes the store of "
          "--data_dir, which must not hold one yet. Embedded store only.");
ABSL_FLAG(int, max_pending_commits, 1024,
          "Routes and transitions that may wait for their commit at once; "
          "more are refused at once with RESOURCE_EXHAUSTED.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port of the Prometheus /metrics HTTP endpoint (port 0 picks "
          "a free port; empty turns it off).");

ABSL_FLAG(std::string, health_listen, "",
          "host:port of a plaintext port serving only grpc.health.v1, for "
          "probes that cannot speak TLS (empty: none).");
ABSL_FLAG(std::string, http_listen, "",
          "host:port of the HTTP/JSON API (README \"HTTP/JSON API\"); it "
          "uses the TLS flags and principals of the gRPC port (port 0 picks "
          "a free port; empty: none).");
ABSL_FLAG(int64_t, http_max_body_bytes, 1024 * 1024,
          "Largest HTTP request body; larger ones get 413.");
ABSL_FLAG(int, http_threads, 32,
          "HTTP connections served at once; more wait for one to close.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the gRPC port (with --tls_key): serve "
          "TLS 1.2+. A replaced file is picked up without a restart.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require client certificates it signed (mutual "
          "TLS).");
ABSL_FLAG(absl::Duration, tls_refresh_interval, absl::Seconds(60),
          "How often the TLS files are checked for replacement.");
ABSL_FLAG(bool, insecure_plaintext, false,
          "Allow plaintext on a non-loopback --listen address (development "
          "only; without TLS flags leadrouterd otherwise refuses).");
ABSL_FLAG(std::string, auth_config, "",
          "Principals and roles (YAML, see README.md). Without it only "
          "loopback callers are served, anonymously.");
ABSL_FLAG(int, max_concurrent_streams, 100,
          "HTTP/2 streams open at once per connection.");
ABSL_FLAG(int, max_metadata_bytes, 16 * 1024,
          "Request metadata (headers) per call.");
ABSL_FLAG(int, max_receive_message_bytes, 8 * 1024 * 1024,
          "Largest request message.");
ABSL_FLAG(absl::Duration, keepalive_min_ping_interval, absl::Seconds(60),
          "Client pings closer together than this are strikes.");
ABSL_FLAG(int, keepalive_max_ping_strikes, 2,
          "Strikes before the connection is closed.");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(30),
          "A connection without calls is closed after this.");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Hours(2),
          "Every connection is asked to go away after this (clients "
          "reconnect; watches resume from their cursor).");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "Time calls get to finish after max_connection_age.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "A connection must finish its handshake within this.");
ABSL_FLAG(int64_t, memory_quota_bytes, 512LL * 1024 * 1024,
          "Memory the gRPC transport may use for all connections together.");
ABSL_FLAG(int, max_watches_per_connection, 16,
          "WatchAssignments streams open at once per connection.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "leadrouterd --config=routing.yaml [--listen=host:port] "
      "[--data_dir=dir | --store=postgresql://...] [--migrate_only]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks every absl::Mutex (gRPC's locks) for lock-order
  // cycles, a debugging aid: 2-3% of a busy server's CPU in profiles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  leadrouter::server::DaemonOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.store = absl::GetFlag(FLAGS_store);
  if (!options.store.empty() &&
      !leadrouter::server::IsPostgresStore(options.store)) {
    std::fprintf(stderr,
                 "leadrouterd: --store must be a PostgreSQL connection "
                 "string (postgresql://... or key=value pairs)\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_migrate_only)) {
    return leadrouter::server::MigrateOnly(options);
  }
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.queue_interval = absl::GetFlag(FLAGS_queue_interval);
  options.sla_interval = absl::GetFlag(FLAGS_sla_interval);
  for (const auto& [flag, text, value] :
       {std::tuple{"event_retention", absl::GetFlag(FLAGS_event_retention),
                   &options.retention.events},
        {"closed_lead_retention", absl::GetFlag(FLAGS_closed_lead_retention),
         &options.retention.closed_leads}}) {
    if (!leadrouter::routing::ParseConfigDuration(text, value)) {
      std::fprintf(stderr,
                   "leadrouterd: --%s: \"%s\" is not a duration (e.g. 30d, "
                   "12h, 90m, 0)\n",
                   flag, text.c_str());
      return 2;
    }
    if (auto s = leadrouter::server::CheckRetention(*value, flag); !s.ok()) {
      std::fprintf(stderr, "leadrouterd: %s\n",
                   std::string(s.message()).c_str());
      return 2;
    }
  }
  options.retention_interval = absl::GetFlag(FLAGS_retention_interval);
  if (options.retention_interval <= absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "leadrouterd: --retention_interval must be positive\n");
    return 2;
  }
  options.restore_path = absl::GetFlag(FLAGS_restore);
  if (!options.restore_path.empty() && !options.store.empty()) {
    std::fprintf(stderr,
                 "leadrouterd: --restore is for the embedded store; restore "
                 "the shared store with PostgreSQL's tools (pg_restore)\n");
    return 2;
  }
  options.max_pending_commits = absl::GetFlag(FLAGS_max_pending_commits);
  if (options.max_pending_commits < 1) {
    std::fprintf(stderr,
                 "leadrouterd: --max_pending_commits must be at least 1\n");
    return 2;
  }
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  options.auth_config_path = absl::GetFlag(FLAGS_auth_config);
  options.health_address = absl::GetFlag(FLAGS_health_listen);
  options.http_address = absl::GetFlag(FLAGS_http_listen);
  if (absl::GetFlag(FLAGS_http_max_body_bytes) < 1024 ||
      absl::GetFlag(FLAGS_http_threads) < 1) {
    std::fprintf(stderr,
                 "leadrouterd: --http_max_body_bytes must be at least 1024 "
                 "and --http_threads at least 1\n");
    return 2;
  }
  options.http_max_body_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_http_max_body_bytes));
  options.http_threads = absl::GetFlag(FLAGS_http_threads);
  leadrouter::server::TransportOptions& t = options.transport;
  t.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  t.tls_key = absl::GetFlag(FLAGS_tls_key);
  t.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  t.tls_refresh_interval = absl::GetFlag(FLAGS_tls_refresh_interval);
  t.insecure_plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  t.limits.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  t.limits.max_metadata_bytes = absl::GetFlag(FLAGS_max_metadata_bytes);
  t.limits.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_receive_message_bytes);
  t.limits.min_ping_interval = absl::GetFlag(FLAGS_keepalive_min_ping_interval);
  t.limits.max_ping_strikes = absl::GetFlag(FLAGS_keepalive_max_ping_strikes);
  t.limits.max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
  t.limits.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  t.limits.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace);
  t.limits.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  t.limits.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_bytes);
  t.limits.max_watches_per_connection =
      absl::GetFlag(FLAGS_max_watches_per_connection);
  for (const auto& [name, value] :
       {std::pair{"max_concurrent_streams", t.limits.max_concurrent_streams},
        {"max_metadata_bytes", t.limits.max_metadata_bytes},
        {"max_receive_message_bytes", t.limits.max_receive_message_bytes},
        {"max_watches_per_connection", t.limits.max_watches_per_connection}}) {
    if (value < 1) {
      std::fprintf(stderr, "leadrouterd: --%s must be at least 1\n", name);
      return 2;
    }
  }
  if (t.limits.memory_quota_bytes < 1024 * 1024) {
    std::fprintf(stderr, "leadrouterd: --memory_quota_bytes must be at "
                         "least 1 MiB\n");
    return 2;
  }
  if (options.queue_interval <= absl::ZeroDuration()) {
    std::fprintf(stderr, "leadrouterd: --queue_interval must be positive\n");
    return 2;
  }
  if (options.sla_interval <= absl::ZeroDuration()) {
    std::fprintf(stderr, "leadrouterd: --sla_interval must be positive\n");
    return 2;
  }
  if (options.config_path.empty()) {
    std::fprintf(stderr, "leadrouterd: --config is required\n");
    return 2;
  }
  return leadrouter::server::RunDaemon(options);
}

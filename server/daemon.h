// leadrouterd's life: load the config, open the store, serve gRPC until
// SIGTERM or SIGINT, drain in-flight calls, close the store.
//
//   DaemonOptions options;  // filled from flags in main.cc
//   return RunDaemon(options);
#ifndef LEADROUTER_SERVER_DAEMON_H_
#define LEADROUTER_SERVER_DAEMON_H_

#include <string>

#include "absl/time/time.h"
#include "server/store/assignment_store.h"
#include "server/transport.h"

namespace leadrouter::server {

struct DaemonOptions {
  std::string config_path;
  std::string listen_address = "127.0.0.1:50051";
  std::string data_dir = "data";
  // A PostgreSQL connection string (libpq URI or key=value) for the shared
  // store of several replicas; empty: the embedded store under data_dir.
  std::string store;
  // How long in-flight calls may run on after SIGTERM before being cancelled.
  absl::Duration drain_timeout = absl::Seconds(10);
  // How often waiting leads are offered to reps who became eligible.
  absl::Duration queue_interval = absl::Seconds(1);
  // How often assignments are checked for a lapsed response time.
  absl::Duration sla_interval = absl::Seconds(1);
  // What the store forgets, and how often it looks (see retention_pass.h).
  RetentionPolicy retention;
  absl::Duration retention_interval = absl::Seconds(10);
  // A backup file (leadctl backup) to put in place as the embedded store
  // of a new data_dir before starting; empty: none.
  std::string restore_path;
  // Routes and transitions that may wait for a commit at once; more are
  // refused with RESOURCE_EXHAUSTED (see api/commit_admission.h).
  int max_pending_commits = 1024;
  // HTTP address of the Prometheus /metrics endpoint; empty: none.
  std::string metrics_address = "127.0.0.1:9464";
  // A plaintext port serving only grpc.health.v1 (for probes that cannot
  // speak TLS, such as Kubernetes' gRPC probes); empty: none.
  std::string health_address;
  // The HTTP/JSON port (server/http/http_front.h); empty: none. It uses the
  // gRPC port's TLS files and plaintext policy, and the same principals.
  std::string http_address;
  size_t http_max_body_bytes = 1024 * 1024;
  int http_threads = 32;
  // TLS, plaintext policy and connection limits of the gRPC port.
  TransportOptions transport;
  // Principals and roles (YAML); empty: development mode, loopback callers
  // only, all anonymous.
  std::string auth_config_path;
};

// The process exit code: 0 after a clean drain, 1 when start-up failed.
int RunDaemon(const DaemonOptions& options);

// Creates or upgrades the store's schema and returns (--migrate_only): 0
// when the schema is current, 1 when it could not be.
int MigrateOnly(const DaemonOptions& options);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_DAEMON_H_

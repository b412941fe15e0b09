// Signals are blocked in every thread and taken by one waiting thread
// (sigwait), so shutdown runs as ordinary code, not in a signal handler.
#include "server/daemon.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <vector>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "prometheus/exposer.h"
#include "server/api/assignment_reads.h"
#include "server/api/assignment_service.h"
#include "server/api/assignment_workflow.h"
#include "server/api/call_guard.h"
#include "server/http/http_front.h"
#include "server/webhooks/webhook_dispatcher.h"
#include "server/api/commit_admission.h"
#include "server/api/lead_intake.h"
#include "server/api/lead_router_service.h"
#include "server/api/routing_admin_service.h"
#include "server/audit/audit_trail.h"
#include "server/auth/auth_file.h"
#include "server/auth/authorizer.h"
#include "server/config/config_file.h"
#include "server/config/current_table.h"
#include "server/config/running_config.h"
#include "server/log.h"
#include "server/metrics/metrics.h"
#include "server/metrics/routing_gauges.h"
#include "server/metrics/rpc_metrics.h"
#include "server/periodic_pass.h"
#include "server/retention_pass.h"
#include "server/service_health.h"
#include "server/sighup_reload.h"
#include "server/store/pg_store.h"
#include "server/store/sqlite_store.h"
#include "server/store/store_uri.h"
#include "server/transport.h"

namespace leadrouter::server {
namespace {

// The address with the port the server really bound (for ":0").
std::string BoundAddress(const std::string& requested, int port) {
  const size_t colon = requested.rfind(':');
  return absl::StrCat(requested.substr(0, colon), ":", port);
}

// The store as logs name it: the data directory, or the PostgreSQL
// connection string without its password.
std::string StoreName(const DaemonOptions& options) {
  return options.store.empty() ? options.data_dir
                               : RedactedStore(options.store);
}

absl::StatusOr<std::unique_ptr<AssignmentStore>> OpenStore(
    const DaemonOptions& options, SqliteStore::CommitObserver on_commit,
    PgStore::ReachObserver on_reach, PgStore::CapacityFn capacity) {
  if (options.store.empty()) {
    auto store = SqliteStore::Open(options.data_dir, std::move(on_commit));
    if (!store.ok()) return store.status();
    return std::unique_ptr<AssignmentStore>(*std::move(store));
  }
  auto store = PgStore::Open({.conninfo = options.store,
                              .capacity = std::move(capacity),
                              .on_commit = std::move(on_commit),
                              .on_reach = std::move(on_reach)});
  if (!store.ok()) return store.status();
  return std::unique_ptr<AssignmentStore>(*std::move(store));
}

}  // namespace

int MigrateOnly(const DaemonOptions& options) {
  if (options.store.empty()) {
    // Opening the embedded store creates or upgrades its schema.
    auto store = SqliteStore::Open(options.data_dir);
    if (!store.ok()) {
      LogError("migration_failed",
               {{"store", StoreName(options)},
                {"error", std::string(store.status().message())}});
      return 1;
    }
    (*store)->Close();
    LogInfo("schema_current", {{"store", StoreName(options)}});
    return 0;
  }
  absl::StatusOr<int> applied = PgStore::Migrate(options.store);
  if (!applied.ok()) {
    LogError("migration_failed",
             {{"store", StoreName(options)},
              {"error", std::string(applied.status().message())}});
    return 1;
  }
  LogInfo("schema_current", {{"store", StoreName(options)},
                             {"applied", absl::StrCat(*applied)}});
  return 0;
}

int RunDaemon(const DaemonOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto base_config = LoadConfigFile(options.config_path);
  if (!base_config.ok()) {
    LogError("config_invalid",
             {{"config", options.config_path},
              {"error", std::string(base_config.status().message())}});
    return 1;
  }

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(options.listen_address, options.transport);
  if (!credentials.ok()) {
    LogError("listen_refused",
             {{"address", options.listen_address},
              {"error", std::string(credentials.status().message())}});
    return 1;
  }
  const bool tls = !options.transport.tls_cert.empty();
  if (!tls) {
    LogWarning("plaintext",
               {{"listen", options.listen_address},
                {"note", IsLoopbackListenAddress(options.listen_address)
                             ? "no TLS: development on loopback only"
                             : "no TLS on a non-loopback address "
                               "(--insecure_plaintext): anyone on the "
                               "network can read and forge calls"}});
  }
  std::optional<leadrouter::v1::AuthConfig> auth_config;
  if (!options.auth_config_path.empty()) {
    auto loaded = LoadAuthFile(options.auth_config_path);
    if (!loaded.ok()) {
      LogError("auth_config_invalid",
               {{"auth_config", options.auth_config_path},
                {"error", std::string(loaded.status().message())}});
      return 1;
    }
    auth_config = *std::move(loaded);
  } else {
    LogWarning("auth_off",
               {{"note", "no --auth_config: only loopback callers are "
                         "served, all as \"anonymous\" with every role"}});
  }
  Authorizer authorizer(auth_config);

  if (!options.restore_path.empty()) {
    // Checked and put in place before the store opens; a file that is not
    // a backup leaves the data directory as it was.
    if (auto s = SqliteStore::Restore(options.restore_path, options.data_dir);
        !s.ok()) {
      LogError("restore_failed", {{"file", options.restore_path},
                                  {"data_dir", options.data_dir},
                                  {"error", std::string(s.message())}});
      return 1;
    }
    LogInfo("restored",
            {{"file", options.restore_path}, {"data_dir", options.data_dir}});
  }

  Metrics metrics;
  // Set once the server runs; the store reports every commit to it.
  std::atomic<ServiceHealth*> health = nullptr;
  // The table routes are decided on; the shared store writes each rep's
  // capacity from it, for the database's own check.
  std::atomic<CurrentTable*> capacity_source = nullptr;
  auto store = OpenStore(
      options,
      [&](const absl::Status& status, absl::Duration took, int changes) {
        if (status.ok()) metrics.CommitTook(took, changes);
        if (ServiceHealth* h = health.load()) {
          status.ok() ? h->StoreWorks() : h->StoreFailed();
        }
      },
      [&](bool reachable) {
        if (ServiceHealth* h = health.load()) {
          reachable ? h->StoreWorks() : h->StoreFailed();
        }
      },
      [&](const std::string& rep_id) -> std::optional<int> {
        CurrentTable* current = capacity_source.load();
        if (current == nullptr) return std::nullopt;
        const routing::CompiledRep* rep = current->Get()->FindRep(rep_id);
        if (rep == nullptr) return std::nullopt;
        return rep->rep->capacity();
      });
  if (!store.ok()) {
    LogError("store_unavailable",
             {{"store", StoreName(options)},
              {"error", std::string(store.status().message())}});
    return 1;
  }
  // The admins' rep overrides apply on top of the file. With a shared
  // store, the config the replicas run (published by the first replica,
  // and by every change since) wins over this replica's file: a replica
  // restarted with an old file must not undo an ApplyConfig.
  auto overrides = (*store)->RepOverrides();
  auto shared = (*store)->LoadSharedConfig();
  if (!overrides.ok() || !shared.ok()) {
    LogError("store_unavailable",
             {{"store", StoreName(options)},
              {"error", std::string((!overrides.ok() ? overrides.status()
                                                     : shared.status())
                                        .message())}});
    (*store)->Close();
    return 1;
  }
  const std::string file_version = [&] {
    auto file_table = RunningConfig::Compile(*base_config, *overrides);
    return file_table.ok() ? (*file_table)->version() : std::string();
  }();
  int64_t generation = 0;
  if (shared->has_value()) {
    const SharedConfig& running = **shared;
    *base_config = running.record.config();
    overrides->assign(running.record.overrides().begin(),
                      running.record.overrides().end());
    generation = running.generation;
  }
  auto table = RunningConfig::Compile(*base_config, *overrides);
  if (!table.ok()) {
    LogError("config_invalid",
             {{"config", shared->has_value() ? "shared store"
                                             : options.config_path},
              {"error", std::string(table.status().message())}});
    (*store)->Close();
    return 1;
  }
  const absl::Time loaded_at = absl::Now();
  LogInfo("config_loaded",
          {{"config", shared->has_value() ? "shared store" : options.config_path},
           {"version", (*table)->version()},
           {"overrides", absl::StrCat(overrides->size())}});
  if (shared->has_value() && file_version != (*table)->version()) {
    LogWarning("config_file_not_running",
               {{"config", options.config_path},
                {"file_version", file_version},
                {"version", (*table)->version()},
                {"note", "the replicas run the shared store's config; "
                         "SIGHUP this replica or call ApplyConfig to change "
                         "it"}});
  }
  metrics.ConfigLoaded((*table)->version(), loaded_at);
  CurrentTable current(*table);
  capacity_source = &current;
  AuditTrail audit(**store, [] { return absl::Now(); });
  CallGuard guard(authorizer, &audit);
  RunningConfig running_config(
      current,
      {.config_path = options.config_path,
       .base = *std::move(base_config),
       .overrides = *std::move(overrides),
       .persist =
           [&store](const leadrouter::v1::RepOverride& o) {
             return (*store)->SaveRepOverride(o);
           },
       .on_change =
           [&metrics](const std::string& version, absl::Time at) {
             metrics.ConfigLoaded(version, at);
           },
       .record_version =
           [&store](const leadrouter::v1::GetConfigResponse& record) {
             return (*store)->SaveConfigVersion(record);
           },
       .publish =
           [&store](const leadrouter::v1::GetConfigResponse& record) {
             return (*store)->PublishConfig(record);
           },
       .generation = generation,
       .loaded_at = loaded_at});
  // Every replica follows what any replica publishes.
  (*store)->FollowConfig(
      [&running_config](const leadrouter::v1::GetConfigResponse& record,
                        int64_t generation) {
        running_config.Adopt(record, generation);
      });
  // The history holds every version that ran, this first one included; the
  // first replica on a shared store publishes its config.
  absl::Status recorded =
      (*store)->SaveConfigVersion(running_config.CurrentRecord());
  if (recorded.ok() && !shared->has_value()) {
    recorded = running_config.PublishCurrent();
  }
  if (!recorded.ok()) {
    LogError("store_unavailable",
             {{"store", StoreName(options)},
              {"error", std::string(recorded.message())}});
    audit.Stop();
    (*store)->Close();
    return 1;
  }
  CommitAdmission admission(options.max_pending_commits);
  LeadIntake intake(current, **store, [] { return absl::Now(); }, &metrics,
                    &admission);
  AssignmentWorkflow workflow(current, **store, [] { return absl::Now(); },
                              &metrics, &admission);
  auto routing_gauges = std::make_shared<RoutingGauges>(current, **store);
  std::unique_ptr<prometheus::Exposer> exposer;
  std::string metrics_address = "off";
  if (!options.metrics_address.empty()) {
    // civetweb reports a port it cannot bind by throwing.
    try {
      exposer = std::make_unique<prometheus::Exposer>(options.metrics_address);
    } catch (const std::exception& e) {
      LogError("metrics_listen_failed",
               {{"address", options.metrics_address}, {"error", e.what()}});
      audit.Stop();
      (*store)->Close();
      return 1;
    }
    // The exposer holds collectables weakly: they live here.
    exposer->RegisterCollectable(metrics.registry());
    exposer->RegisterCollectable(routing_gauges);
    metrics_address = BoundAddress(options.metrics_address,
                                   exposer->GetListeningPorts().front());
  }
  LeadRouterService lead_router(intake, guard);
  AssignmentServiceImpl assignments(
      **store, workflow, guard, &audit,
      options.transport.limits.max_watches_per_connection);
  RoutingAdminService admin(running_config, **store,
                            [] { return absl::Now(); }, guard, &audit);
  if (options.store.empty()) admin.set_backup_dir(options.data_dir);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<
      grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RpcMetricsFactory>(metrics));
  interceptors.push_back(std::make_unique<ReflectionGuardFactory>(guard));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  ApplyLimits(options.transport.limits, builder);
  int port = 0;
  builder.AddListeningPort(options.listen_address, *credentials, &port);
  builder.RegisterService(&lead_router);
  builder.RegisterService(&assignments);
  builder.RegisterService(&admin);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    LogError("listen_failed", {{"address", options.listen_address}});
    audit.Stop();
    (*store)->Close();
    return 1;
  }
  // Health alone on its own plaintext port: it tells nothing but
  // SERVING / NOT_SERVING, so it needs neither TLS nor a caller.
  std::unique_ptr<grpc::Server> health_server;
  std::string health_address = "off";
  if (!options.health_address.empty()) {
    grpc::ServerBuilder health_builder;
    // The reflection plugin joins every server; here too it needs a known
    // caller, or the API's schema would be readable without one.
    std::vector<std::unique_ptr<
        grpc::experimental::ServerInterceptorFactoryInterface>>
        health_interceptors;
    health_interceptors.push_back(
        std::make_unique<ReflectionGuardFactory>(guard));
    health_builder.experimental().SetInterceptorCreators(
        std::move(health_interceptors));
    int health_port = 0;
    health_builder.AddListeningPort(options.health_address,
                                    grpc::InsecureServerCredentials(),
                                    &health_port);
    health_server = health_builder.BuildAndStart();
    if (health_server == nullptr || health_port == 0) {
      LogError("health_listen_failed", {{"address", options.health_address}});
      server->Shutdown();
      audit.Stop();
      (*store)->Close();
      return 1;
    }
    health_address = BoundAddress(options.health_address, health_port);
  }
  // The HTTP/JSON port serves the same core, admitted by the same guard.
  AssignmentReads http_reads(**store);
  std::unique_ptr<HttpFront> http_front;
  std::string http_address = "off";
  if (!options.http_address.empty()) {
    http_front = std::make_unique<HttpFront>(
        HttpCore{.table = current,
                 .intake = intake,
                 .workflow = workflow,
                 .reads = http_reads,
                 .guard = guard,
                 .auth_enabled = authorizer.enabled(),
                 .metrics = &metrics},
        HttpFrontOptions{.listen_address = options.http_address,
                         .transport = options.transport,
                         .max_body_bytes = options.http_max_body_bytes,
                         .threads = options.http_threads});
    if (absl::Status s = http_front->Start(); !s.ok()) {
      LogError("http_listen_failed",
               {{"address", options.http_address},
                {"error", std::string(s.message())}});
      server->Shutdown();
      if (health_server) health_server->Shutdown();
      audit.Stop();
      (*store)->Close();
      return 1;
    }
    http_address = BoundAddress(options.http_address, http_front->port());
  }
  ServiceHealth service_health(
      {server->GetHealthCheckService(),
       health_server ? health_server->GetHealthCheckService() : nullptr});
  health = &service_health;  // NOT_SERVING until started
  PeriodicPass drainer("queue_drain", options.queue_interval,
                       [&] { return intake.DrainQueues(); });
  PeriodicPass response_clock("response_time_lapsed", options.sla_interval,
                              [&] { return workflow.ExpireResponseTimes(); });
  std::optional<PeriodicPass> pruner;
  if (options.retention.events > absl::ZeroDuration() ||
      options.retention.closed_leads > absl::ZeroDuration()) {
    pruner.emplace("retention_pruned", options.retention_interval, [&] {
      return PruneExpired(**store, options.retention, absl::Now(), &metrics);
    });
  }
  // Outbound webhooks of the running config (none: the thread idles).
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  WebhookDispatcher webhooks(
      current, **store, &metrics,
      {.holder = absl::StrCat(host, ":", getpid(), ":",
                              absl::ToUnixNanos(absl::Now()))});
  webhooks.Start();
  service_health.Started();
  LogInfo("serving", {{"address", BoundAddress(options.listen_address, port)},
                      {"metrics", metrics_address},
                      {"health", health_address},
                      {"http", http_address},
                      {"store", StoreName(options)},
                      {"tls", tls ? (options.transport.tls_client_ca.empty()
                                         ? "on"
                                         : "mutual")
                                  : "off"},
                      {"auth", authorizer.enabled() ? "on" : "off"}});

  std::thread signal_waiter([&] {
    int signal = 0;
    // SIGHUP re-reads the config file; SIGTERM and SIGINT drain.
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
      ReloadOnSignal(running_config, options.auth_config_path, authorizer,
                     audit);
    }
    LogInfo("draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    service_health.Draining();
    lead_router.BeginDrain();
    assignments.BeginDrain();
    // HTTP requests in flight end at their commit, as RouteLead does.
    if (http_front) http_front->Stop();
    // Waits for in-flight calls (each RouteLead ends at its commit), then
    // cancels what is left at the deadline.
    server->Shutdown(absl::ToChronoTime(absl::Now() + options.drain_timeout));
  });
  server->Wait();
  signal_waiter.join();
  // Tear the transports down through gRPC, not by exiting: the last
  // responses and statuses of drained calls reach their clients.
  server.reset();
  if (health_server) health_server->Shutdown();
  drainer.Stop();
  response_clock.Stop();
  webhooks.Stop();
  if (pruner) pruner->Stop();
  exposer.reset();  // no scrape reads the store after this
  audit.Stop();
  (*store)->Close();
  health = nullptr;
  capacity_source = nullptr;
  LogInfo("stopped");
  return 0;
}

}  // namespace leadrouter::server

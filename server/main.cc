// leadrouterd: the leadrouter gRPC server. Flags are parsed here and nowhere
// else; everything below receives DaemonOptions.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/daemon.h"

ABSL_FLAG(std::string, config, "",
          "Routing config file (YAML, see deploy/config/example.yaml).");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address, host:port; port 0 picks a free port.");
ABSL_FLAG(std::string, data_dir, "data",
          "Directory of the embedded store (created if missing).");
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

ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port of the Prometheus /metrics HTTP endpoint (port 0 picks "
          "a free port; empty turns it off).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "leadrouterd --config=routing.yaml [--listen=host:port] "
      "[--data_dir=dir]");
  absl::ParseCommandLine(argc, argv);
  leadrouter::server::DaemonOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.queue_interval = absl::GetFlag(FLAGS_queue_interval);
  options.sla_interval = absl::GetFlag(FLAGS_sla_interval);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
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

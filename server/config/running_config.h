// The running routing config and the ways to change it: ApplyConfig calls
// and SIGHUP re-reading the config file. A new config is checked whole and
// compiled before it is swapped into the CurrentTable, so an invalid one
// changes nothing and a valid one takes effect for every route that starts
// after the swap (routes in flight keep the table they took).
//
//   RunningConfig running(current, config_path, on_change);
//   absl::StatusOr<RunningConfig::Applied> a = running.Apply(config, false);
//   running.ReloadFile();  // on SIGHUP
#ifndef LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_
#define LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_

#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/config.pb.h"
#include "server/config/current_table.h"

namespace leadrouter::server {

// Thread-safe; changes are serialized.
class RunningConfig {
 public:
  struct Applied {
    std::string version;
    std::string previous_version;
    bool applied = false;  // false: validate-only, or the same config
  };
  struct Snapshot {
    std::shared_ptr<const routing::RoutingTable> table;
    absl::Time loaded_at;
    std::string source;  // "file", "apply" or "sighup"
  };
  // Told about every config that was swapped in (for metrics).
  using OnChange = std::function<void(const std::string& version, absl::Time)>;

  // `current` already holds the table loaded from `config_path` at start.
  RunningConfig(CurrentTable& current, std::string config_path,
                OnChange on_change, absl::Time loaded_at);

  Snapshot Get() const;

  // INVALID_ARGUMENT listing every error when the config is not valid.
  absl::StatusOr<Applied> Apply(const leadrouter::v1::RoutingConfig& config,
                                bool validate_only,
                                const std::string& source = "apply");
  // The same for YAML text (errors carry "config.yaml:line:column").
  absl::StatusOr<Applied> ApplyYaml(const std::string& yaml,
                                    bool validate_only);
  // Re-reads the config file (SIGHUP); an error keeps the running config.
  absl::StatusOr<Applied> ReloadFile();

 private:
  CurrentTable& current_;
  const std::string config_path_;
  const OnChange on_change_;
  mutable std::mutex mu_;
  absl::Time loaded_at_;  // mu_
  std::string source_;    // mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_

#include "server/config/running_config.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/config/config_file.h"
#include "server/log.h"

namespace leadrouter::server {

RunningConfig::RunningConfig(CurrentTable& current, std::string config_path,
                             OnChange on_change, absl::Time loaded_at)
    : current_(current),
      config_path_(std::move(config_path)),
      on_change_(std::move(on_change)),
      loaded_at_(loaded_at),
      source_("file") {}

RunningConfig::Snapshot RunningConfig::Get() const {
  std::lock_guard lock(mu_);
  return {current_.Get(), loaded_at_, source_};
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::Apply(
    const leadrouter::v1::RoutingConfig& config, bool validate_only,
    const std::string& source) {
  // Compiling checks everything; a failure leaves the running table alone.
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      routing::RoutingTable::Create(config);
  if (!table.ok()) return table.status();
  std::lock_guard lock(mu_);
  Applied result;
  result.version = (*table)->version();
  result.previous_version = current_.Get()->version();
  if (validate_only || result.version == result.previous_version) {
    return result;
  }
  current_.Set(*std::move(table));
  loaded_at_ = absl::Now();
  source_ = source;
  result.applied = true;
  LogInfo("config_applied", {{"version", result.version},
                             {"previous_version", result.previous_version},
                             {"source", source}});
  if (on_change_) on_change_(result.version, loaded_at_);
  return result;
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::ApplyYaml(
    const std::string& yaml, bool validate_only) {
  absl::StatusOr<leadrouter::v1::RoutingConfig> config =
      ParseConfigYaml(yaml, "config.yaml");
  if (!config.ok()) return config.status();
  return Apply(*config, validate_only);
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::ReloadFile() {
  absl::StatusOr<leadrouter::v1::RoutingConfig> config =
      LoadConfigFile(config_path_);
  absl::StatusOr<Applied> applied =
      config.ok() ? Apply(*config, false, "sighup")
                  : absl::StatusOr<Applied>(config.status());
  if (!applied.ok()) {
    LogError("config_reload_refused",
             {{"config", config_path_},
              {"error", std::string(applied.status().message())}});
  }
  return applied;
}

}  // namespace leadrouter::server

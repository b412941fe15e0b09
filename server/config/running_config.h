// The running routing config and the ways to change it: ApplyConfig calls,
// SIGHUP re-reading the config file, and admins' rep overrides (active,
// capacity) laid on top of whichever config runs. A change is checked whole
// and compiled before it is swapped into the CurrentTable, so an invalid
// one changes nothing and a valid one takes effect for every route that
// starts after the swap (routes in flight keep the table they took).
//
//   auto table = RunningConfig::Compile(base, overrides);
//   CurrentTable current(*table);
//   RunningConfig running(current, {path, base, overrides, persist, on_change,
//                                   record_version});
//   running.Apply(config, /*validate_only=*/false);
//   running.ReloadFile();  // on SIGHUP
#ifndef LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_
#define LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/config.pb.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "server/config/current_table.h"

namespace leadrouter::server {

// Thread-safe; changes are serialized.
class RunningConfig {
 public:
  struct Applied {
    std::string version;
    std::string previous_version;
    bool applied = false;  // false: validate-only, or the same config
    // What differs from the running config (before overrides), one line
    // per change, e.g. `modified: reps[anna].capacity: 2 -> 3`.
    std::vector<std::string> changes;
  };
  struct Snapshot {
    std::shared_ptr<const routing::RoutingTable> table;  // overrides in
    std::vector<leadrouter::v1::RepOverride> overrides;
    absl::Time loaded_at;
    std::string source;  // "file", "apply", "sighup" or "override"
  };
  struct Options {
    std::string config_path;
    leadrouter::v1::RoutingConfig base;  // as loaded, without overrides
    std::vector<leadrouter::v1::RepOverride> overrides;
    // Stores an override durably (before it takes effect).
    std::function<absl::Status(const leadrouter::v1::RepOverride&)> persist;
    // Told about every config that was swapped in (for metrics).
    std::function<void(const std::string& version, absl::Time)> on_change;
    // Keeps a version durably before it runs (the config history): a
    // GetConfigResponse whose `config` is the base, with the overrides. An
    // error refuses the change. Optional.
    std::function<absl::Status(const leadrouter::v1::GetConfigResponse&)>
        record_version;
    // Makes a change the config of every replica (the shared store) before
    // it runs here, and returns its generation. An error refuses the
    // change. Optional (one process: nothing to share).
    std::function<absl::StatusOr<int64_t>(
        const leadrouter::v1::GetConfigResponse&)>
        publish;
    // The generation of the shared config this one came from (0: none).
    int64_t generation = 0;
    absl::Time loaded_at;
  };

  // `base` with the overrides laid on (overrides of reps it does not have
  // wait for them), compiled.
  static absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> Compile(
      const leadrouter::v1::RoutingConfig& base,
      const std::vector<leadrouter::v1::RepOverride>& overrides);

  // `current` already holds Compile(options.base, options.overrides).
  RunningConfig(CurrentTable& current, Options options);

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

  // Merges `change` into the rep's override (`clear` drops it first;
  // `clear_absences` drops its absences first; the change's absences are
  // added), stores it and swaps in the result. NOT_FOUND for a rep the
  // running config lacks; INVALID_ARGUMENT naming the field for a bad
  // capacity or absence. `applied` (optional) gets the versions before and
  // after.
  absl::StatusOr<leadrouter::v1::RepOverride> SetRepOverride(
      const leadrouter::v1::RepOverride& change, bool clear,
      Applied* applied = nullptr, bool clear_absences = false);

  // Runs again a version that ran before: its base config and its rep
  // overrides (as the config history keeps them), stored and swapped in
  // whole, source "rollback".
  absl::StatusOr<Applied> Rollback(
      const leadrouter::v1::GetConfigResponse& record);

  // The history record of what runs now (config = base).
  leadrouter::v1::GetConfigResponse CurrentRecord() const;

  // Publishes what runs now (the first replica on a shared store).
  absl::Status PublishCurrent();

  // Runs a config another replica published (its base and overrides, as
  // PublishConfig stored them), unless this one already runs `generation`
  // or a later one. Stores nothing: the publisher did.
  void Adopt(const leadrouter::v1::GetConfigResponse& record,
             int64_t generation);

 private:
  std::vector<leadrouter::v1::RepOverride> OverrideList() const;  // mu_
  leadrouter::v1::GetConfigResponse RecordLocked(
      const std::string& version, const leadrouter::v1::RoutingConfig& base,
      const std::string& source, absl::Time at) const;
  // Publishes `record` if sharing (mu_ held).
  absl::Status PublishLocked(const leadrouter::v1::GetConfigResponse& record);
  // Compiles and swaps in `base` + overrides_ (mu_ held).
  absl::StatusOr<Applied> SwapLocked(const leadrouter::v1::RoutingConfig& base,
                                     bool validate_only,
                                     const std::string& source);

  CurrentTable& current_;
  Options options_;  // base and overrides as of now; mu_
  mutable std::mutex mu_;
  std::map<std::string, leadrouter::v1::RepOverride> overrides_;  // mu_
  std::string source_ = "file";                                   // mu_
  int64_t generation_ = 0;  // of the shared config running; mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_RUNNING_CONFIG_H_

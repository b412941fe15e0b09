#include "server/config/running_config.h"

#include <regex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"
#include "absl/time/clock.h"
#include "routing/availability.h"
#include "routing/config_validation.h"
#include "routing/routing_table.h"
#include "routing/timestamps.h"
#include "server/config/config_file.h"
#include "server/log.h"

namespace leadrouter::server {

using leadrouter::v1::RepOverride;
using leadrouter::v1::RoutingConfig;

namespace {

// Field-level differences, with the id-keyed lists (territories, reps,
// teams, queues, rules) compared by id rather than by position, e.g.
// `modified: reps[ben].capacity: 2 -> 3`.
std::vector<std::string> Differences(const RoutingConfig& from,
                                     const RoutingConfig& to) {
  using google::protobuf::util::MessageDifferencer;
  MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  const auto* d = RoutingConfig::descriptor();
  for (const char* list : {"territories", "reps", "teams", "queues", "rules"}) {
    const auto* field = d->FindFieldByName(list);
    differencer.TreatAsMap(field, field->message_type()->FindFieldByName("id"));
  }
  differencer.Compare(from, to);
  // The reporter names list entries by position ("reps[1]"); name them by
  // id ("reps[ben]"), in the old config for deletions, else in the new.
  std::vector<std::string> lines;
  const std::regex entry(R"((territories|reps|teams|queues|rules)\[(\d+)\])");
  for (absl::string_view raw : absl::StrSplit(report, '\n', absl::SkipEmpty())) {
    std::string line(raw);
    const RoutingConfig& side = absl::StartsWith(line, "deleted") ? from : to;
    std::smatch m;
    if (std::regex_search(line, m, entry)) {
      const auto* field = d->FindFieldByName(m[1].str());
      const auto* reflection = side.GetReflection();
      const int index = std::stoi(m[2].str());
      if (index < reflection->FieldSize(side, field)) {
        const auto& item = reflection->GetRepeatedMessage(side, field, index);
        const std::string id = item.GetReflection()->GetString(
            item, item.GetDescriptor()->FindFieldByName("id"));
        line.replace(m.position(0), m.length(0),
                     absl::StrCat(m[1].str(), "[", id, "]"));
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// Absences one override may hold.
constexpr int kMaxOverrideAbsences = 50;

// Checks the absences an override adds, in the rep's time zone, with the
// paths of the request (add_out_of_office[i].start).
absl::Status CheckAbsences(const leadrouter::v1::Rep& configured,
                           const RepOverride& change) {
  if (change.out_of_office().empty()) return absl::OkStatus();
  leadrouter::v1::Rep rep;
  rep.set_id(configured.id());
  rep.set_time_zone(configured.time_zone());
  *rep.mutable_out_of_office() = change.out_of_office();
  std::vector<routing::ConfigError> errors;
  routing::Availability::Compile(rep, "add", &errors);
  if (errors.empty()) return absl::OkStatus();
  for (routing::ConfigError& e : errors) {
    // "add.out_of_office[0].start" -> "add_out_of_office[0].start"
    if (absl::StartsWith(e.path, "add.")) e.path[3] = '_';
  }
  return absl::InvalidArgumentError(routing::FormatConfigErrors(errors));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const routing::RoutingTable>>
RunningConfig::Compile(const RoutingConfig& base,
                       const std::vector<RepOverride>& overrides) {
  RoutingConfig effective = base;
  for (const RepOverride& o : overrides) {
    for (auto& rep : *effective.mutable_reps()) {
      if (rep.id() != o.rep_id()) continue;
      if (o.has_active()) rep.set_active(o.active());
      if (o.has_capacity()) rep.set_capacity(o.capacity());
      for (const auto& absence : o.out_of_office()) {
        *rep.add_out_of_office() = absence;
      }
    }
  }
  return routing::RoutingTable::Create(std::move(effective));
}

RunningConfig::RunningConfig(CurrentTable& current, Options options)
    : current_(current),
      options_(std::move(options)),
      generation_(options_.generation) {
  for (RepOverride& o : options_.overrides) overrides_[o.rep_id()] = o;
  options_.overrides.clear();
}

absl::Status RunningConfig::PublishLocked(
    const leadrouter::v1::GetConfigResponse& record) {
  if (!options_.publish) return absl::OkStatus();
  absl::StatusOr<int64_t> generation = options_.publish(record);
  if (!generation.ok()) return generation.status();
  generation_ = *generation;
  return absl::OkStatus();
}

absl::Status RunningConfig::PublishCurrent() {
  std::lock_guard lock(mu_);
  return PublishLocked(RecordLocked(current_.Get()->version(), options_.base,
                                    source_, options_.loaded_at));
}

void RunningConfig::Adopt(const leadrouter::v1::GetConfigResponse& record,
                          int64_t generation) {
  std::lock_guard lock(mu_);
  if (generation <= generation_) return;  // this one, or older
  std::map<std::string, RepOverride> wanted;
  for (const RepOverride& o : record.overrides()) wanted[o.rep_id()] = o;
  std::vector<RepOverride> list;
  for (const auto& [id, o] : wanted) list.push_back(o);
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      Compile(record.config(), list);
  if (!table.ok()) {
    // Another build's config this one cannot run; keep the running one.
    LogError("shared_config_refused",
             {{"version", record.version()},
              {"error", std::string(table.status().message())}});
    return;
  }
  const std::string previous = current_.Get()->version();
  generation_ = generation;
  overrides_ = std::move(wanted);
  options_.base = record.config();
  options_.loaded_at = absl::FromUnixSeconds(record.loaded_at().seconds()) +
                       absl::Nanoseconds(record.loaded_at().nanos());
  source_ = record.source();
  current_.Set(*std::move(table));
  LogInfo("shared_config_adopted",
          {{"version", current_.Get()->version()},
           {"previous_version", previous},
           {"generation", absl::StrCat(generation)}});
  if (options_.on_change) {
    options_.on_change(current_.Get()->version(), options_.loaded_at);
  }
}

std::vector<RepOverride> RunningConfig::OverrideList() const {
  std::vector<RepOverride> list;
  for (const auto& [id, o] : overrides_) list.push_back(o);
  return list;
}

leadrouter::v1::GetConfigResponse RunningConfig::RecordLocked(
    const std::string& version, const RoutingConfig& base,
    const std::string& source, absl::Time at) const {
  leadrouter::v1::GetConfigResponse record;
  *record.mutable_config() = base;
  record.set_version(version);
  routing::SetTimestamp(at, record.mutable_loaded_at());
  record.set_source(source);
  for (const auto& [id, o] : overrides_) *record.add_overrides() = o;
  return record;
}

leadrouter::v1::GetConfigResponse RunningConfig::CurrentRecord() const {
  std::lock_guard lock(mu_);
  return RecordLocked(current_.Get()->version(), options_.base, source_,
                      options_.loaded_at);
}

RunningConfig::Snapshot RunningConfig::Get() const {
  std::lock_guard lock(mu_);
  return {current_.Get(), OverrideList(), options_.loaded_at, source_};
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::SwapLocked(
    const RoutingConfig& base, bool validate_only, const std::string& source) {
  // Compiling checks everything; a failure leaves the running table alone.
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      Compile(base, OverrideList());
  if (!table.ok()) return table.status();
  Applied result;
  result.version = (*table)->version();
  result.previous_version = current_.Get()->version();
  result.changes = Differences(options_.base, base);
  if (validate_only || result.version == result.previous_version) {
    return result;
  }
  const absl::Time now = absl::Now();
  const leadrouter::v1::GetConfigResponse record =
      RecordLocked(result.version, base, source, now);
  if (options_.record_version) {
    if (auto s = options_.record_version(record); !s.ok()) return s;
  }
  if (auto s = PublishLocked(record); !s.ok()) return s;
  current_.Set(*std::move(table));
  options_.base = base;
  options_.loaded_at = now;
  source_ = source;
  result.applied = true;
  LogInfo("config_applied", {{"version", result.version},
                             {"previous_version", result.previous_version},
                             {"source", source}});
  if (options_.on_change) options_.on_change(result.version, options_.loaded_at);
  return result;
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::Apply(
    const RoutingConfig& config, bool validate_only,
    const std::string& source) {
  std::lock_guard lock(mu_);
  return SwapLocked(config, validate_only, source);
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::ApplyYaml(
    const std::string& yaml, bool validate_only) {
  absl::StatusOr<RoutingConfig> config = ParseConfigYaml(yaml, "config.yaml");
  if (!config.ok()) return config.status();
  return Apply(*config, validate_only);
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::ReloadFile() {
  absl::StatusOr<RoutingConfig> config = LoadConfigFile(options_.config_path);
  absl::StatusOr<Applied> applied =
      config.ok() ? Apply(*config, false, "sighup")
                  : absl::StatusOr<Applied>(config.status());
  if (!applied.ok()) {
    LogError("config_reload_refused",
             {{"config", options_.config_path},
              {"error", std::string(applied.status().message())}});
  }
  return applied;
}

absl::StatusOr<RepOverride> RunningConfig::SetRepOverride(
    const RepOverride& change, bool clear, Applied* applied,
    bool clear_absences) {
  std::lock_guard lock(mu_);
  const routing::CompiledRep* rep = current_.Get()->FindRep(change.rep_id());
  if (rep == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "rep_id: no rep \"", change.rep_id().substr(0, 64),
        "\" in the running config"));
  }
  if (change.has_capacity() &&
      (change.capacity() < 1 || change.capacity() > 100000)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: ", change.capacity(),
        " is outside 1 to 100000 (set active false to stop new leads)"));
  }
  if (absl::Status s = CheckAbsences(*rep->rep, change); !s.ok()) return s;
  RepOverride merged;
  merged.set_rep_id(change.rep_id());
  if (!clear) {
    if (auto it = overrides_.find(change.rep_id()); it != overrides_.end()) {
      merged = it->second;
    }
    if (clear_absences) merged.clear_out_of_office();
    if (change.has_active()) merged.set_active(change.active());
    if (change.has_capacity()) merged.set_capacity(change.capacity());
    for (const auto& absence : change.out_of_office()) {
      *merged.add_out_of_office() = absence;
    }
  }
  if (merged.out_of_office_size() > kMaxOverrideAbsences) {
    return absl::InvalidArgumentError(absl::StrCat(
        "add_out_of_office: the rep would have ", merged.out_of_office_size(),
        " absences set here; at most ", kMaxOverrideAbsences,
        " (clear_out_of_office drops them)"));
  }
  const std::map<std::string, RepOverride> before = overrides_;
  if (merged.has_active() || merged.has_capacity() ||
      merged.out_of_office_size() > 0) {
    overrides_[merged.rep_id()] = merged;
  } else {
    overrides_.erase(merged.rep_id());
  }
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      Compile(options_.base, OverrideList());
  const absl::Time now = absl::Now();
  absl::Status stored = table.ok() ? absl::OkStatus() : table.status();
  if (stored.ok() && options_.record_version) {
    stored = options_.record_version(
        RecordLocked((*table)->version(), options_.base, "override", now));
  }
  if (stored.ok()) stored = options_.persist(merged);
  if (stored.ok()) {
    stored = PublishLocked(
        RecordLocked((*table)->version(), options_.base, "override", now));
  }
  if (!stored.ok()) {
    overrides_ = before;
    return stored;
  }
  if (applied != nullptr) {
    applied->previous_version = current_.Get()->version();
    applied->version = (*table)->version();
    applied->applied = applied->version != applied->previous_version;
  }
  current_.Set(*std::move(table));
  source_ = "override";
  options_.loaded_at = now;
  LogInfo("rep_override_set", {{"rep_id", merged.rep_id()},
                               {"version", current_.Get()->version()}});
  if (options_.on_change) {
    options_.on_change(current_.Get()->version(), options_.loaded_at);
  }
  return merged;
}

absl::StatusOr<RunningConfig::Applied> RunningConfig::Rollback(
    const leadrouter::v1::GetConfigResponse& record) {
  std::lock_guard lock(mu_);
  std::map<std::string, RepOverride> wanted;
  for (const RepOverride& o : record.overrides()) wanted[o.rep_id()] = o;
  const std::map<std::string, RepOverride> before = overrides_;
  overrides_ = wanted;
  absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
      Compile(record.config(), OverrideList());
  if (!table.ok()) {
    overrides_ = before;
    return table.status();
  }
  Applied result;
  result.version = (*table)->version();
  result.previous_version = current_.Get()->version();
  result.changes = Differences(options_.base, record.config());
  // The overrides of then replace those of now: drop what is not wanted,
  // store what is. (Each is durable on its own; a failure midway leaves
  // stored overrides that the next start lays on the file's config, as
  // with any override.)
  absl::Status stored = absl::OkStatus();
  for (const auto& [id, o] : before) {
    if (!wanted.contains(id) && stored.ok()) {
      RepOverride cleared;
      cleared.set_rep_id(id);
      stored = options_.persist(cleared);
    }
  }
  for (const auto& [id, o] : wanted) {
    if (stored.ok()) stored = options_.persist(o);
  }
  const absl::Time now = absl::Now();
  if (stored.ok()) {
    stored = PublishLocked(
        RecordLocked(result.version, record.config(), "rollback", now));
  }
  if (!stored.ok()) {
    overrides_ = before;
    return stored;
  }
  current_.Set(*std::move(table));
  options_.base = record.config();
  options_.loaded_at = now;
  source_ = "rollback";
  result.applied = result.version != result.previous_version;
  LogInfo("config_rolled_back", {{"version", result.version},
                                 {"previous_version", result.previous_version}});
  if (options_.on_change) options_.on_change(result.version, now);
  return result;
}

}  // namespace leadrouter::server

#include "server/api/routing_admin_service.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "routing/fairness.h"
#include "routing/timestamps.h"
#include "server/api/backup_stream.h"
#include "server/api/page_token.h"
#include "server/api/status.h"

namespace leadrouter::server {
namespace {

constexpr char kApplyConfig[] = "/leadrouter.v1.RoutingAdmin/ApplyConfig";
constexpr char kSetRepAvailability[] =
    "/leadrouter.v1.RoutingAdmin/SetRepAvailability";

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

}  // namespace

void RoutingAdminService::Audit(const grpc::CallbackServerContext& context,
                                const Caller& caller, const char* method,
                                std::vector<std::string> targets,
                                const RunningConfig::Applied& applied,
                                const absl::Status& status,
                                std::string detail) const {
  if (audit_ == nullptr) return;
  leadrouter::v1::AuditEvent e;
  e.set_principal(caller.principal);
  e.set_peer(context.peer());
  e.set_method(method);
  for (std::string& t : targets) e.add_targets(std::move(t));
  const std::string running = config_.Get().table->version();
  e.set_version_before(applied.previous_version.empty()
                           ? running
                           : applied.previous_version);
  e.set_version_after(applied.version.empty() || !applied.applied
                          ? e.version_before()
                          : applied.version);
  for (const std::string& c : applied.changes) e.add_changes(c);
  e.set_code(static_cast<int>(status.code()));
  // A refused config's errors can quote its values (rep names, e-mails):
  // the caller got them; the trail keeps only the code.
  std::string why = detail;
  if (!status.ok()) {
    std::string reason =
        std::string(method) == kApplyConfig
            ? absl::StatusCodeToString(status.code())
            : std::string(status.message().substr(0, 200));
    why = why.empty() ? reason : absl::StrCat(why, "; ", reason);
  }
  e.set_detail(why.substr(0, 500));
  audit_->Record(std::move(e)).IgnoreError();  // logged when it fails
}

grpc::ServerUnaryReactor* RoutingAdminService::GetConfig(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::GetConfigRequest* request,
    leadrouter::v1::GetConfigResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context, "/leadrouter.v1.RoutingAdmin/GetConfig",
                     reactor)) {
    return reactor;
  }
  RunningConfig::Snapshot running = config_.Get();
  if (!request->version().empty() &&
      request->version() != running.table->version()) {
    // An old version: as it ran, the overrides of then laid on its base.
    absl::StatusOr<leadrouter::v1::GetConfigResponse> old =
        request->version().size() > 64
            ? absl::InvalidArgumentError("version: is longer than 64 bytes")
            : store_.ConfigVersion(request->version());
    if (!old.ok()) {
      reactor->Finish(ToGrpcStatus(old.status()));
      return reactor;
    }
    auto table = RunningConfig::Compile(
        old->config(), {old->overrides().begin(), old->overrides().end()});
    if (!table.ok()) {
      reactor->Finish(ToGrpcStatus(absl::DataLossError(absl::StrCat(
          "version: the stored config of ", request->version(),
          " no longer compiles: ", table.status().message()))));
      return reactor;
    }
    *response = *std::move(old);
    *response->mutable_config() = (*table)->config();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  *response->mutable_config() = running.table->config();
  response->set_version(running.table->version());
  routing::SetTimestamp(running.loaded_at, response->mutable_loaded_at());
  response->set_source(running.source);
  for (auto& o : running.overrides) *response->add_overrides() = std::move(o);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::ApplyConfig(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ApplyConfigRequest* request,
    leadrouter::v1::ApplyConfigResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitOrFinish(guard_, *context, kApplyConfig, reactor);
  if (!caller) return reactor;
  absl::StatusOr<RunningConfig::Applied> applied;
  std::string detail;
  switch (request->config_case()) {
    case leadrouter::v1::ApplyConfigRequest::kRoutingConfig:
      applied = config_.Apply(request->routing_config(),
                              request->validate_only());
      break;
    case leadrouter::v1::ApplyConfigRequest::kYaml:
      applied = config_.ApplyYaml(request->yaml(), request->validate_only());
      break;
    case leadrouter::v1::ApplyConfigRequest::kRollbackToVersion: {
      const std::string& version = request->rollback_to_version();
      detail = absl::StrCat("rollback to ", version.substr(0, 64));
      absl::StatusOr<leadrouter::v1::GetConfigResponse> old =
          version.empty() || version.size() > 64
              ? absl::InvalidArgumentError(
                    "rollback_to_version: must be a version, 1 to 64 bytes")
              : store_.ConfigVersion(version);
      if (!old.ok()) {
        applied = old.status();
      } else if (request->validate_only()) {
        applied = config_.Apply(old->config(), /*validate_only=*/true);
      } else {
        applied = config_.Rollback(*old);
      }
      break;
    }
    default:
      applied = absl::InvalidArgumentError(
          "config: give routing_config, yaml or rollback_to_version");
  }
  if (applied.ok()) {
    response->set_version(applied->version);
    response->set_previous_version(applied->previous_version);
    response->set_applied(applied->applied);
    for (const std::string& c : applied->changes) response->add_changes(c);
  }
  // Checks that change nothing (validate_only) are not changes to audit.
  if (!request->validate_only()) {
    Audit(*context, *caller, kApplyConfig, {"config"},
          applied.ok() ? *applied : RunningConfig::Applied{},
          applied.status(), detail);
  }
  reactor->Finish(ToGrpcStatus(applied.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::ListReps(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListRepsRequest* request,
    leadrouter::v1::ListRepsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context, "/leadrouter.v1.RoutingAdmin/ListReps",
                     reactor)) {
    return reactor;
  }
  auto table = config_.Get().table;
  const routing::CompiledTeam* team = nullptr;
  if (!request->team_id().empty()) {
    team = table->FindTeam(request->team_id());
    if (team == nullptr) {
      reactor->Finish(ToGrpcStatus(absl::NotFoundError(absl::StrCat(
          "team_id: no team \"", request->team_id().substr(0, 64),
          "\" in the running config"))));
      return reactor;
    }
  }
  const int days = request->fairness_days() == 0 ? 7 : request->fairness_days();
  if (days < 1 || days > 365) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "fairness_days: ", request->fairness_days(),
        " is outside 1 to 365 (0: 7)"))));
    return reactor;
  }
  const routing::RoutingState state = store_.Snapshot();
  const absl::Time now = clock_();
  absl::StatusOr<std::vector<MemberLeads>> counts = store_.LeadsByMember(
      absl::ToUnixMicros(now - absl::Hours(24) * days));
  if (!counts.ok()) {
    reactor->Finish(ToGrpcStatus(counts.status()));
    return reactor;
  }
  // Fairness per team, and each member's part of it.
  absl::flat_hash_map<std::string, routing::TeamFairness> fairness;
  for (routing::TeamFairness& f : routing::TeamsFairness(*table, *counts)) {
    if (team != nullptr && f.team_id != team->team->id()) continue;
    leadrouter::v1::TeamFairness* out = response->add_teams();
    out->set_team_id(f.team_id);
    out->set_leads(f.leads);
    out->set_max_deviation(f.max_deviation);
    out->set_most_deviating_rep_id(f.most_deviating_rep);
    fairness.emplace(f.team_id, std::move(f));
  }
  response->set_fairness_days(days);
  for (const auto& rep : table->config().reps()) {
    const routing::CompiledRep& r = *table->FindRep(rep.id());
    if (team != nullptr &&
        std::find(r.team_ids.begin(), r.team_ids.end(), team->team->id()) ==
            r.team_ids.end()) {
      continue;
    }
    leadrouter::v1::RepStatus* s = response->add_reps();
    s->set_rep_id(rep.id());
    for (const std::string& t : r.team_ids) s->add_team_ids(t);
    s->set_open_assignments(state.OpenAssignments(rep.id()));
    s->set_capacity(rep.capacity());
    s->set_assigned_today(
        state.AssignedOnDay(rep.id(), r.availability.LocalDay(now)));
    s->set_daily_cap(rep.daily_cap());
    s->set_active(!rep.has_active() || rep.active());
    s->set_out_of_office(r.availability.OutOfOffice(now));
    s->set_within_working_hours(r.availability.WithinWorkingHours(now));
    s->set_available(s->active() && !s->out_of_office() &&
                     s->open_assignments() < s->capacity() &&
                     (s->daily_cap() == 0 ||
                      s->assigned_today() < s->daily_cap()));
    for (const std::string& t : r.team_ids) {
      auto f = fairness.find(t);
      if (f == fairness.end()) continue;
      for (const routing::MemberShare& m : f->second.members) {
        if (m.rep_id != rep.id()) continue;
        leadrouter::v1::TeamShare* share = s->add_shares();
        share->set_team_id(t);
        share->set_leads(m.leads);
        share->set_share(m.share);
        share->set_received(m.received);
      }
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::SetRepAvailability(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::SetRepAvailabilityRequest* request,
    leadrouter::v1::SetRepAvailabilityResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller =
      AdmitOrFinish(guard_, *context, kSetRepAvailability, reactor);
  if (!caller) return reactor;
  leadrouter::v1::RepOverride change;
  change.set_rep_id(request->rep_id());
  if (request->has_active()) change.set_active(request->active());
  if (request->has_capacity()) change.set_capacity(request->capacity());
  *change.mutable_out_of_office() = request->add_out_of_office();
  RunningConfig::Applied applied;
  absl::StatusOr<leadrouter::v1::RepOverride> set =
      request->rep_id().empty()
          ? absl::InvalidArgumentError("rep_id: is required")
          : config_.SetRepOverride(change, request->clear(), &applied,
                                   request->clear_out_of_office());
  if (set.ok()) {
    *response->mutable_override() = *set;
    response->set_version(config_.Get().table->version());
    std::string what = request->clear() ? "cleared" : "";
    if (set->has_active()) {
      absl::StrAppend(&what, "active: ", set->active() ? "true" : "false");
    }
    if (set->has_capacity()) {
      absl::StrAppend(&what, what.empty() ? "" : ", ",
                      "capacity: ", set->capacity());
    }
    for (const auto& absence : set->out_of_office()) {
      absl::StrAppend(&what, what.empty() ? "" : ", ", "out of office ",
                      absence.start(), "..", absence.end());
    }
    applied.changes.push_back(
        absl::StrCat("override: reps[", request->rep_id(), "]: ", what));
  }
  Audit(*context, *caller, kSetRepAvailability,
        {absl::StrCat("rep:", request->rep_id().substr(0, 64))}, applied,
        set.status());
  reactor->Finish(ToGrpcStatus(set.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::ListAuditEvents(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListAuditEventsRequest* request,
    leadrouter::v1::ListAuditEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.RoutingAdmin/ListAuditEvents", reactor)) {
    return reactor;
  }
  auto list = [&]() -> absl::Status {
    if (request->page_size() < 0 || request->page_size() > 1000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "page_size: ", request->page_size(), " is outside 0 to 1000"));
    }
    if (request->principal().size() > 64) {
      return absl::InvalidArgumentError("principal: is longer than 64 bytes");
    }
    if (request->method().size() > 200) {
      return absl::InvalidArgumentError("method: is longer than 200 bytes");
    }
    for (const auto* t : {&request->since(), &request->until()}) {
      if (t->seconds() < 0 || t->seconds() > 253402300799 || t->nanos() < 0 ||
          t->nanos() > 999999999) {
        return absl::InvalidArgumentError(absl::StrCat(
            t == &request->since() ? "since" : "until",
            ": is not a valid timestamp"));
      }
    }
    AuditQuery query;
    query.principal = request->principal();
    query.method = request->method();
    query.since_us = Micros(request->since());
    query.until_us = Micros(request->until());
    const std::string filters =
        absl::StrCat("audit\x1f", query.principal, "\x1f", query.method,
                     "\x1f", query.since_us, "\x1f", query.until_us);
    absl::StatusOr<int64_t> before =
        DecodePageToken(request->page_token(), filters);
    if (!before.ok()) return before.status();
    query.before_id = *before;
    query.limit = request->page_size() == 0 ? 100 : request->page_size();
    // One more than asked tells whether another page follows.
    query.limit += 1;
    absl::StatusOr<std::vector<leadrouter::v1::AuditEvent>> events =
        store_.ListAudit(query);
    if (!events.ok()) return events.status();
    const bool more = static_cast<int>(events->size()) == query.limit;
    if (more) events->pop_back();
    for (auto& e : *events) *response->add_events() = std::move(e);
    if (more && response->events_size() > 0) {
      response->set_next_page_token(EncodePageToken(
          response->events(response->events_size() - 1).id(), filters));
    }
    return absl::OkStatus();
  };
  reactor->Finish(ToGrpcStatus(list()));
  return reactor;
}

grpc::ServerWriteReactor<leadrouter::v1::BackupChunk>*
RoutingAdminService::Backup(grpc::CallbackServerContext* context,
                            const leadrouter::v1::BackupRequest* /*request*/) {
  static constexpr char kBackup[] = "/leadrouter.v1.RoutingAdmin/Backup";
  absl::StatusOr<Caller> caller = guard_.Admit(*context, kBackup);
  if (!caller.ok()) {
    class Refused
        : public grpc::ServerWriteReactor<leadrouter::v1::BackupChunk> {
     public:
      explicit Refused(grpc::Status s) { Finish(std::move(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(ToGrpcStatus(caller.status()));
  }
  std::string dir = backup_dir_;
  if (dir.empty()) {
    std::error_code ec;
    dir = std::filesystem::temp_directory_path(ec).string();
  }
  // The copy holds every lead's personal data: who took one is audited.
  return new BackupStream(
      store_, dir,
      [this, context, caller = *caller](const grpc::Status& status) {
        Audit(*context, caller, kBackup, {"store"}, {},
              absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                           status.error_message()));
      });
}

grpc::ServerUnaryReactor* RoutingAdminService::SimulateConfig(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::SimulateConfigRequest* request,
    leadrouter::v1::SimulateConfigResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.RoutingAdmin/SimulateConfig", reactor)) {
    return reactor;
  }
  // The call stays open until Finish, so the request, the response and
  // this service outlive the thread's use of them.
  std::thread([this, request, response, reactor] {
    absl::StatusOr<leadrouter::v1::SimulateConfigResponse> report =
        simulator_.Run(*request);
    if (report.ok()) *response = *std::move(report);
    reactor->Finish(ToGrpcStatus(report.status()));
  }).detach();
  return reactor;
}

}  // namespace leadrouter::server

#include "server/api/routing_admin_service.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "routing/timestamps.h"
#include "server/api/admin_reads.h"
#include "server/api/backup_stream.h"
#include "server/api/status.h"
#include "server/api/webhook_admin.h"

namespace leadrouter::server {
namespace {

constexpr char kApplyConfig[] = "/leadrouter.v1.RoutingAdmin/ApplyConfig";
constexpr char kSetRepAvailability[] =
    "/leadrouter.v1.RoutingAdmin/SetRepAvailability";

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
  absl::StatusOr<leadrouter::v1::ListRepsResponse> reps =
      ReadReps(*config_.Get().table, store_, clock_(), *request);
  if (reps.ok()) *response = *std::move(reps);
  reactor->Finish(ToGrpcStatus(reps.status()));
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

grpc::ServerUnaryReactor* RoutingAdminService::ListDeadLetters(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListDeadLettersRequest* request,
    leadrouter::v1::ListDeadLettersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.RoutingAdmin/ListDeadLetters", reactor)) {
    return reactor;
  }
  absl::StatusOr<leadrouter::v1::ListDeadLettersResponse> letters =
      server::ListDeadLetters(store_, *request);
  if (letters.ok()) *response = *std::move(letters);
  reactor->Finish(ToGrpcStatus(letters.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::RetryDeadLetters(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::RetryDeadLettersRequest* request,
    leadrouter::v1::RetryDeadLettersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  static constexpr char kMethod[] =
      "/leadrouter.v1.RoutingAdmin/RetryDeadLetters";
  std::optional<Caller> caller =
      AdmitOrFinish(guard_, *context, kMethod, reactor);
  if (!caller) return reactor;
  absl::StatusOr<leadrouter::v1::RetryDeadLettersResponse> marked =
      server::RetryDeadLetters(store_, *config_.Get().table, *request);
  if (marked.ok()) {
    *response = *marked;
    if (audit_ != nullptr) {
      leadrouter::v1::AuditEvent e;
      e.set_principal(caller->principal);
      e.set_peer(context->peer());
      e.set_method(kMethod);
      e.add_targets(absl::StrCat("webhook:", request->subscription()));
      e.set_detail(absl::StrCat(marked->marked(),
                                " dead letters marked for another delivery"));
      audit_->RecordSoon(std::move(e));
    }
  }
  reactor->Finish(ToGrpcStatus(marked.status()));
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
  absl::StatusOr<leadrouter::v1::ListAuditEventsResponse> events =
      ReadAuditEvents(store_, *request);
  if (events.ok()) *response = *std::move(events);
  reactor->Finish(ToGrpcStatus(events.status()));
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
  // The call stays open until Finish (server shutdown waits for it), so the
  // request, the response and this service outlive the thread's use of
  // them. A caller that leaves (or a shutdown past its drain deadline)
  // stops the replay at the next page.
  std::thread([this, context, request, response, reactor] {
    absl::StatusOr<leadrouter::v1::SimulateConfigResponse> report =
        simulator_.Run(*request, [context] { return context->IsCancelled(); });
    if (report.ok()) *response = *std::move(report);
    reactor->Finish(ToGrpcStatus(report.status()));
  }).detach();
  return reactor;
}

}  // namespace leadrouter::server

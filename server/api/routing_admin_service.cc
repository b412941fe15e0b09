#include "server/api/routing_admin_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "routing/timestamps.h"
#include "server/api/status.h"

namespace leadrouter::server {

grpc::ServerUnaryReactor* RoutingAdminService::GetConfig(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::GetConfigRequest* /*request*/,
    leadrouter::v1::GetConfigResponse* response) {
  RunningConfig::Snapshot running = config_.Get();
  *response->mutable_config() = running.table->config();
  response->set_version(running.table->version());
  routing::SetTimestamp(running.loaded_at, response->mutable_loaded_at());
  response->set_source(running.source);
  for (auto& o : running.overrides) *response->add_overrides() = std::move(o);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::ApplyConfig(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ApplyConfigRequest* request,
    leadrouter::v1::ApplyConfigResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<RunningConfig::Applied> applied;
  switch (request->config_case()) {
    case leadrouter::v1::ApplyConfigRequest::kRoutingConfig:
      applied = config_.Apply(request->routing_config(),
                              request->validate_only());
      break;
    case leadrouter::v1::ApplyConfigRequest::kYaml:
      applied = config_.ApplyYaml(request->yaml(), request->validate_only());
      break;
    default:
      applied = absl::InvalidArgumentError(
          "config: give routing_config or yaml");
  }
  if (applied.ok()) {
    response->set_version(applied->version);
    response->set_previous_version(applied->previous_version);
    response->set_applied(applied->applied);
    for (std::string& c : applied->changes) response->add_changes(std::move(c));
  }
  reactor->Finish(ToGrpcStatus(applied.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::ListReps(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListRepsRequest* request,
    leadrouter::v1::ListRepsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
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
  const routing::RoutingState state = store_.Snapshot();
  const absl::Time now = clock_();
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
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingAdminService::SetRepAvailability(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::SetRepAvailabilityRequest* request,
    leadrouter::v1::SetRepAvailabilityResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  leadrouter::v1::RepOverride change;
  change.set_rep_id(request->rep_id());
  if (request->has_active()) change.set_active(request->active());
  if (request->has_capacity()) change.set_capacity(request->capacity());
  absl::StatusOr<leadrouter::v1::RepOverride> set =
      request->rep_id().empty()
          ? absl::InvalidArgumentError("rep_id: is required")
          : config_.SetRepOverride(change, request->clear());
  if (set.ok()) {
    *response->mutable_override() = *std::move(set);
    response->set_version(config_.Get().table->version());
  }
  reactor->Finish(ToGrpcStatus(set.status()));
  return reactor;
}

}  // namespace leadrouter::server

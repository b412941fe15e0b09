// gRPC RoutingAdmin: the running config (read, validate, apply) and the
// reps' load, over RunningConfig and the store.
#ifndef LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_
#define LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_

#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "server/api/lead_intake.h"
#include "server/config/running_config.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class RoutingAdminService final
    : public leadrouter::v1::RoutingAdmin::CallbackService {
 public:
  RoutingAdminService(RunningConfig& config, AssignmentStore& store,
                      Clock clock)
      : config_(config), store_(store), clock_(std::move(clock)) {}

  grpc::ServerUnaryReactor* GetConfig(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::GetConfigRequest* request,
      leadrouter::v1::GetConfigResponse* response) override;

  grpc::ServerUnaryReactor* ApplyConfig(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ApplyConfigRequest* request,
      leadrouter::v1::ApplyConfigResponse* response) override;

  grpc::ServerUnaryReactor* ListReps(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ListRepsRequest* request,
      leadrouter::v1::ListRepsResponse* response) override;

  grpc::ServerUnaryReactor* SetRepAvailability(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::SetRepAvailabilityRequest* request,
      leadrouter::v1::SetRepAvailabilityResponse* response) override;

 private:
  RunningConfig& config_;
  AssignmentStore& store_;
  Clock clock_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_

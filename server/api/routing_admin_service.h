// gRPC RoutingAdmin: the running config (read, validate, apply, roll back
// to a version that ran before, simulate a draft on stored leads), the
// reps' load and overrides, and the audit trail, over RunningConfig and the store. Every change is recorded in the
// audit trail with who made it, from where, and the versions before and
// after.
#ifndef LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_
#define LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_

#include <string>

#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/api/config_simulation.h"
#include "server/api/lead_intake.h"
#include "server/audit/audit_trail.h"
#include "server/config/running_config.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class RoutingAdminService final
    : public leadrouter::v1::RoutingAdmin::CallbackService {
 public:
  // `audit` may be null (tests without a store).
  RoutingAdminService(RunningConfig& config, AssignmentStore& store,
                      Clock clock, const CallGuard& guard, AuditTrail* audit)
      : config_(config),
        store_(store),
        clock_(std::move(clock)),
        guard_(guard),
        audit_(audit),
        simulator_(config, store, clock_) {}

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

  grpc::ServerUnaryReactor* ListDeadLetters(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ListDeadLettersRequest* request,
      leadrouter::v1::ListDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* RetryDeadLetters(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::RetryDeadLettersRequest* request,
      leadrouter::v1::RetryDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* ListAuditEvents(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ListAuditEventsRequest* request,
      leadrouter::v1::ListAuditEventsResponse* response) override;

  grpc::ServerWriteReactor<leadrouter::v1::BackupChunk>* Backup(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::BackupRequest* request) override;

  // Runs on a thread of its own (a simulation takes seconds), one at a
  // time.
  grpc::ServerUnaryReactor* SimulateConfig(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::SimulateConfigRequest* request,
      leadrouter::v1::SimulateConfigResponse* response) override;

  // Where backups are written while they are sent (the data directory; by
  // default the system's temporary directory).
  void set_backup_dir(std::string dir) { backup_dir_ = std::move(dir); }

 private:
  // Records a change (or a refused change) made by `caller`.
  void Audit(const grpc::CallbackServerContext& context, const Caller& caller,
             const char* method, std::vector<std::string> targets,
             const RunningConfig::Applied& applied, const absl::Status& status,
             std::string detail = "") const;

  RunningConfig& config_;
  AssignmentStore& store_;
  Clock clock_;
  const CallGuard& guard_;
  AuditTrail* audit_;
  std::string backup_dir_;
  ConfigSimulator simulator_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ROUTING_ADMIN_SERVICE_H_

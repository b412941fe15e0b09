// gRPC AssignmentService: reads (GetAssignment, ListAssignments,
// ListQueues), the state machine (accept, reject, close), erasure, and the
// change stream (WatchAssignments, see watch_stream.h).
#ifndef LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_
#define LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "server/api/assignment_reads.h"
#include "server/api/assignment_workflow.h"
#include "server/api/call_guard.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class AssignmentServiceImpl final
    : public leadrouter::v1::AssignmentService::CallbackService {
 public:
  // Open watch streams per connection (peer); more get RESOURCE_EXHAUSTED.
  static constexpr int kDefaultMaxWatchesPerConnection = 16;

  // `audit` records erasures (may be null in tests).
  AssignmentServiceImpl(AssignmentStore& store, AssignmentWorkflow& workflow,
                        const CallGuard& guard, AuditTrail* audit,
                        int max_watches_per_connection =
                            kDefaultMaxWatchesPerConnection)
      : store_(store),
        reads_(store),
        workflow_(workflow),
        guard_(guard),
        audit_(audit),
        max_watches_per_connection_(max_watches_per_connection) {}

  // From now on watches end UNAVAILABLE with their resume cursor (so server
  // shutdown does not wait for them).
  void BeginDrain() { draining_.store(true); }

  grpc::ServerUnaryReactor* GetAssignment(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::GetAssignmentRequest* request,
      leadrouter::v1::Assignment* response) override;

  grpc::ServerUnaryReactor* ListAssignments(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ListAssignmentsRequest* request,
      leadrouter::v1::ListAssignmentsResponse* response) override;

  grpc::ServerUnaryReactor* ListQueues(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ListQueuesRequest* request,
      leadrouter::v1::ListQueuesResponse* response) override;

  grpc::ServerUnaryReactor* AcceptAssignment(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::AcceptAssignmentRequest* request,
      leadrouter::v1::Assignment* response) override;

  grpc::ServerUnaryReactor* RejectAssignment(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::RejectAssignmentRequest* request,
      leadrouter::v1::Assignment* response) override;

  grpc::ServerUnaryReactor* CloseAssignment(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::CloseAssignmentRequest* request,
      leadrouter::v1::Assignment* response) override;

  grpc::ServerUnaryReactor* EraseLead(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::EraseLeadRequest* request,
      leadrouter::v1::Assignment* response) override;

  grpc::ServerWriteReactor<leadrouter::v1::AssignmentEvent>* WatchAssignments(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::WatchAssignmentsRequest* request) override;

 private:
  // For workers bound to reps: the check that the lead is one of theirs.
  RepCheck MayAct(const grpc::ServerContextBase& context, const char* method,
                  const Caller& caller, const std::string& lead_id) const;
  // Takes one of the peer's watch slots; false when it has none left.
  bool TakeWatchSlot(const std::string& peer);
  void ReleaseWatchSlot(const std::string& peer);

  AssignmentStore& store_;
  AssignmentReads reads_;
  AssignmentWorkflow& workflow_;
  const CallGuard& guard_;
  AuditTrail* audit_;
  const int max_watches_per_connection_;
  std::atomic<bool> draining_ = false;
  std::mutex watches_mu_;
  std::map<std::string, int> watches_by_peer_;  // watches_mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

// gRPC AssignmentService: reads (GetAssignment, ListAssignments,
// ListQueues), the state machine (accept, reject, close), erasure, and the
// change stream (WatchAssignments, see watch_stream.h).
#ifndef LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_
#define LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

#include <atomic>

#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "server/api/assignment_workflow.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class AssignmentServiceImpl final
    : public leadrouter::v1::AssignmentService::CallbackService {
 public:
  // Page sizes: 0 asks for the default; larger than the maximum is capped.
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

  AssignmentServiceImpl(AssignmentStore& store, AssignmentWorkflow& workflow)
      : store_(store), workflow_(workflow) {}

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
  AssignmentStore& store_;
  AssignmentWorkflow& workflow_;
  std::atomic<bool> draining_ = false;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

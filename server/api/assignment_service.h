// gRPC AssignmentService: GetAssignment, ListAssignments and ListQueues,
// reading the store.
#ifndef LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_
#define LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

class AssignmentServiceImpl final
    : public leadrouter::v1::AssignmentService::CallbackService {
 public:
  // Page sizes: 0 asks for the default; larger than the maximum is capped.
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

  explicit AssignmentServiceImpl(AssignmentStore& store) : store_(store) {}

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

 private:
  AssignmentStore& store_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ASSIGNMENT_SERVICE_H_

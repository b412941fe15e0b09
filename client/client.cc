// Each call gets a fresh context with the configured deadline.
#include "client/client.h"

#include "grpcpp/grpcpp.h"

namespace leadrouter {
namespace {

absl::Status ToAbslStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    Stub* stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

Client::Client(const ClientOptions& options) : options_(options) {
  auto channel = grpc::CreateChannel(options.address,
                                     grpc::InsecureChannelCredentials());
  router_ = v1::LeadRouter::NewStub(channel);
  assignments_ = v1::AssignmentService::NewStub(channel);
}

absl::StatusOr<v1::RouteLeadResponse> Client::Route(const v1::Lead& lead) {
  v1::RouteLeadRequest request;
  *request.mutable_lead() = lead;
  return Call(router_.get(), &v1::LeadRouter::Stub::RouteLead, request);
}

absl::StatusOr<v1::Assignment> Client::Explain(const v1::Lead& lead) {
  v1::ExplainRouteRequest request;
  *request.mutable_lead() = lead;
  auto response =
      Call(router_.get(), &v1::LeadRouter::Stub::ExplainRoute, request);
  if (!response.ok()) return response.status();
  return response->assignment();
}

absl::StatusOr<v1::Assignment> Client::GetAssignment(
    const std::string& lead_id) {
  v1::GetAssignmentRequest request;
  request.set_lead_id(lead_id);
  return Call(assignments_.get(), &v1::AssignmentService::Stub::GetAssignment,
              request);
}

absl::StatusOr<v1::ListAssignmentsResponse> Client::ListAssignments(
    const v1::ListAssignmentsRequest& request) {
  return Call(assignments_.get(),
              &v1::AssignmentService::Stub::ListAssignments, request);
}

absl::StatusOr<v1::ListQueuesResponse> Client::ListQueues(
    const std::string& team_id) {
  v1::ListQueuesRequest request;
  request.set_team_id(team_id);
  return Call(assignments_.get(), &v1::AssignmentService::Stub::ListQueues,
              request);
}

absl::StatusOr<v1::Assignment> Client::Accept(
    const v1::AcceptAssignmentRequest& request) {
  return Call(assignments_.get(),
              &v1::AssignmentService::Stub::AcceptAssignment, request);
}

absl::StatusOr<v1::Assignment> Client::Reject(
    const v1::RejectAssignmentRequest& request) {
  return Call(assignments_.get(),
              &v1::AssignmentService::Stub::RejectAssignment, request);
}

absl::StatusOr<v1::Assignment> Client::Close(
    const v1::CloseAssignmentRequest& request) {
  return Call(assignments_.get(), &v1::AssignmentService::Stub::CloseAssignment,
              request);
}

absl::StatusOr<v1::Assignment> Client::Erase(const std::string& lead_id) {
  v1::EraseLeadRequest request;
  request.set_lead_id(lead_id);
  return Call(assignments_.get(), &v1::AssignmentService::Stub::EraseLead,
              request);
}

absl::Status Client::Watch(
    const v1::WatchAssignmentsRequest& request,
    const std::function<bool(const v1::AssignmentEvent&)>& on_event) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::AssignmentEvent>> reader =
      assignments_->WatchAssignments(&context, request);
  v1::AssignmentEvent event;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      context.TryCancel();
      reader->Finish().IgnoreError();
      return absl::OkStatus();
    }
  }
  return ToAbslStatus(reader->Finish());
}

}  // namespace leadrouter

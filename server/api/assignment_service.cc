// Reads are short indexed queries, answered on the calling gRPC thread.
#include "server/api/assignment_service.h"

#include "absl/strings/str_cat.h"
#include "routing/lead_validation.h"
#include "server/api/page_token.h"
#include "server/api/status.h"

namespace leadrouter::server {
namespace {

absl::Status ListInto(AssignmentStore& store,
                      const leadrouter::v1::ListAssignmentsRequest& request,
                      leadrouter::v1::ListAssignmentsResponse* response) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", request.page_size(), " is negative"));
  }
  if (request.rep_id().size() > 64 || request.team_id().size() > 64) {
    return absl::InvalidArgumentError(
        request.rep_id().size() > 64 ? "rep_id: is longer than 64 bytes"
                                     : "team_id: is longer than 64 bytes");
  }
  const std::string filters =
      absl::StrCat(request.rep_id(), "\x1f", request.team_id());
  absl::StatusOr<int64_t> after =
      DecodePageToken(request.page_token(), filters);
  if (!after.ok()) return after.status();

  AssignmentQuery query;
  query.rep_id = request.rep_id();
  query.team_id = request.team_id();
  query.after_position = *after;
  query.limit = request.page_size() == 0
                    ? AssignmentServiceImpl::kDefaultPageSize
                    : std::min(request.page_size(),
                               AssignmentServiceImpl::kMaxPageSize);
  absl::StatusOr<AssignmentPage> page = store.List(query);
  if (!page.ok()) return page.status();
  for (auto& a : page->assignments) *response->add_assignments() = std::move(a);
  if (page->more) {
    response->set_next_page_token(
        EncodePageToken(page->last_position, filters));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* AssignmentServiceImpl::GetAssignment(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::GetAssignmentRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->lead_id().empty() ||
      request->lead_id().size() > routing::kMaxLeadIdBytes) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(
        request->lead_id().empty() ? "lead_id: is required"
                                   : "lead_id: is longer than 128 bytes")));
    return reactor;
  }
  absl::StatusOr<leadrouter::v1::Assignment> a = store_.Get(request->lead_id());
  if (a.ok()) *response = *std::move(a);
  reactor->Finish(ToGrpcStatus(a.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::ListAssignments(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListAssignmentsRequest* request,
    leadrouter::v1::ListAssignmentsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(ListInto(store_, *request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::ListQueues(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListQueuesRequest* request,
    leadrouter::v1::ListQueuesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->team_id().size() > 64) {
    reactor->Finish(ToGrpcStatus(
        absl::InvalidArgumentError("team_id: is longer than 64 bytes")));
    return reactor;
  }
  absl::StatusOr<std::vector<QueueDepth>> queues = store_.Queues();
  if (queues.ok()) {
    for (const QueueDepth& q : *queues) {
      if (!request->team_id().empty() && q.team_id != request->team_id()) {
        continue;
      }
      leadrouter::v1::QueueSummary* out = response->add_queues();
      out->set_queue(q.queue);
      out->set_team_id(q.team_id);
      out->set_depth(q.depth);
      out->mutable_oldest_queued_at()->set_seconds(q.oldest_queued_at_us /
                                                   1000000);
      out->mutable_oldest_queued_at()->set_nanos(
          static_cast<int32_t>(q.oldest_queued_at_us % 1000000) * 1000);
    }
  }
  reactor->Finish(ToGrpcStatus(queues.status()));
  return reactor;
}

}  // namespace leadrouter::server

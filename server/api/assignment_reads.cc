#include "server/api/assignment_reads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/api/assignment_workflow.h"
#include "server/api/page_token.h"
#include "server/api/request_checks.h"

namespace leadrouter::server {

using leadrouter::v1::ListAssignmentsRequest;
using leadrouter::v1::ListAssignmentsResponse;

absl::StatusOr<leadrouter::v1::Assignment> AssignmentReads::Get(
    const std::string& lead_id) {
  if (auto s = CheckLeadId(lead_id); !s.ok()) return s;
  return store_.Get(lead_id);
}

absl::StatusOr<ListAssignmentsResponse> AssignmentReads::List(
    const ListAssignmentsRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", request.page_size(), " is negative"));
  }
  if (auto s = CheckIds(request.rep_id(), request.team_id()); !s.ok()) {
    return s;
  }
  if (!leadrouter::v1::AssignmentState_IsValid(request.state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("state: ", request.state(), " is not an AssignmentState"));
  }
  absl::StatusOr<int64_t> from =
      TimeBound("arrived_after", request.arrived_after());
  if (!from.ok()) return from.status();
  absl::StatusOr<int64_t> until =
      TimeBound("arrived_before", request.arrived_before());
  if (!until.ok()) return until.status();
  if (*from != 0 && *until != 0 && *from >= *until) {
    return absl::InvalidArgumentError(
        "arrived_before: must be later than arrived_after");
  }
  // Filters added later extend the fingerprint only when set, so tokens
  // issued before them stay valid.
  std::string filters = absl::StrCat(request.rep_id(), "\x1f", request.team_id());
  if (request.state() != 0 || *from != 0 || *until != 0) {
    absl::StrAppend(&filters, "\x1f", request.state(), "\x1f", *from, "\x1f",
                    *until);
  }
  absl::StatusOr<int64_t> after =
      DecodePageToken(request.page_token(), filters);
  if (!after.ok()) return after.status();

  AssignmentQuery query;
  query.rep_id = request.rep_id();
  query.team_id = request.team_id();
  query.state = request.state();
  query.arrived_from_us = *from;
  query.arrived_until_us = *until;
  query.after_position = *after;
  query.limit = request.page_size() == 0
                    ? kDefaultPageSize
                    : std::min(request.page_size(), kMaxPageSize);
  absl::StatusOr<AssignmentPage> page = store_.List(query);
  if (!page.ok()) return page.status();
  ListAssignmentsResponse response;
  for (auto& a : page->assignments) *response.add_assignments() = std::move(a);
  if (page->more) {
    response.set_next_page_token(EncodePageToken(page->last_position, filters));
  }
  return response;
}

absl::StatusOr<leadrouter::v1::ListQueuesResponse> AssignmentReads::Queues(
    const leadrouter::v1::ListQueuesRequest& request) {
  if (request.team_id().size() > 64) {
    return absl::InvalidArgumentError("team_id: is longer than 64 bytes");
  }
  absl::StatusOr<std::vector<QueueDepth>> queues = store_.Queues();
  if (!queues.ok()) return queues.status();
  leadrouter::v1::ListQueuesResponse response;
  for (const QueueDepth& q : *queues) {
    if (!request.team_id().empty() && q.team_id != request.team_id()) continue;
    leadrouter::v1::QueueSummary* out = response.add_queues();
    out->set_queue(q.queue);
    out->set_team_id(q.team_id);
    out->set_depth(q.depth);
    out->mutable_oldest_queued_at()->set_seconds(q.oldest_queued_at_us /
                                                 1000000);
    out->mutable_oldest_queued_at()->set_nanos(
        static_cast<int32_t>(q.oldest_queued_at_us % 1000000) * 1000);
  }
  return response;
}

absl::StatusOr<EventQuery> AssignmentReads::WatchQuery(
    const leadrouter::v1::WatchAssignmentsRequest& request) {
  if (auto s = CheckIds(request.rep_id(), request.team_id()); !s.ok()) {
    return s;
  }
  EventQuery query;
  query.rep_id = request.rep_id();
  query.team_id = request.team_id();
  const int64_t head = store_.LastEventCursor();
  if (!request.cursor().empty()) {
    absl::StatusOr<int64_t> after = ParseWatchCursor(request.cursor(), head);
    if (!after.ok()) return after.status();
    query.after = *after;
  } else if (!request.from_start()) {
    query.after = head;
  } else {
    // From the oldest event the stream still serves (retention).
    absl::StatusOr<int64_t> oldest = store_.OldestCursor();
    if (!oldest.ok()) return oldest.status();
    query.after = *oldest;
  }
  return query;
}

}  // namespace leadrouter::server

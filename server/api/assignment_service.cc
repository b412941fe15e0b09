// Reads are short indexed queries, answered on the calling gRPC thread;
// changes finish from the store's commit callback.
#include "server/api/assignment_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "routing/lead_validation.h"
#include "server/api/page_token.h"
#include "server/api/status.h"
#include "server/api/watch_stream.h"

namespace leadrouter::server {
namespace {

absl::Status CheckIds(const std::string& rep_id, const std::string& team_id) {
  if (rep_id.size() > 64) {
    return absl::InvalidArgumentError("rep_id: is longer than 64 bytes");
  }
  if (team_id.size() > 64) {
    return absl::InvalidArgumentError("team_id: is longer than 64 bytes");
  }
  // Config ids are letters, digits, '.', '-', '_': nothing else can match.
  if (!IsPrintableId(rep_id)) {
    return absl::InvalidArgumentError(
        "rep_id: must be printable ASCII without spaces");
  }
  if (!IsPrintableId(team_id)) {
    return absl::InvalidArgumentError(
        "team_id: must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

// Unix microseconds of an optional time bound; 0 when not set.
absl::StatusOr<int64_t> TimeBound(const char* field,
                                  const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return 0;
  // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp allows.
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is not a valid timestamp"));
  }
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

// Finishes a unary call with the assignment a change produced.
RouteCallback FinishWith(grpc::CallbackServerContext* context,
                         grpc::ServerUnaryReactor* reactor,
                         leadrouter::v1::Assignment* response) {
  return [context, reactor, response](absl::StatusOr<RouteOutcome> outcome) {
    if (outcome.ok()) *response = std::move(outcome->assignment);
    FinishUnary(*context, reactor, outcome.status());
  };
}

absl::Status ListInto(AssignmentStore& store,
                      const leadrouter::v1::ListAssignmentsRequest& request,
                      leadrouter::v1::ListAssignmentsResponse* response) {
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

RepCheck AssignmentServiceImpl::MayAct(const grpc::ServerContextBase& context,
                                       const char* method, const Caller& caller,
                                       const std::string& lead_id) const {
  if (caller.rep_ids.empty()) return nullptr;
  return [this, &context, method, caller, lead_id](const std::string& rep_id) {
    return guard_.CheckRep(context, method, caller, rep_id, lead_id);
  };
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::GetAssignment(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::GetAssignmentRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.AssignmentService/GetAssignment", reactor)) {
    return reactor;
  }
  if (auto s = CheckLeadId(request->lead_id()); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
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
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.AssignmentService/ListAssignments", reactor)) {
    return reactor;
  }
  reactor->Finish(ToGrpcStatus(ListInto(store_, *request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::ListQueues(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ListQueuesRequest* request,
    leadrouter::v1::ListQueuesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context,
                     "/leadrouter.v1.AssignmentService/ListQueues", reactor)) {
    return reactor;
  }
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

grpc::ServerUnaryReactor* AssignmentServiceImpl::AcceptAssignment(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::AcceptAssignmentRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  static constexpr char kMethod[] =
      "/leadrouter.v1.AssignmentService/AcceptAssignment";
  std::optional<Caller> caller = AdmitOrFinish(guard_, *context, kMethod, reactor);
  if (!caller) return reactor;
  workflow_.Accept(request->lead_id(), request->etag(),
                   FinishWith(context, reactor, response),
      MayAct(*context, kMethod, *caller, request->lead_id()));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::RejectAssignment(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::RejectAssignmentRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  static constexpr char kMethod[] =
      "/leadrouter.v1.AssignmentService/RejectAssignment";
  std::optional<Caller> caller = AdmitOrFinish(guard_, *context, kMethod, reactor);
  if (!caller) return reactor;
  workflow_.Reject(request->lead_id(), request->etag(), request->note(),
                   FinishWith(context, reactor, response),
      MayAct(*context, kMethod, *caller, request->lead_id()));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::CloseAssignment(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::CloseAssignmentRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  static constexpr char kMethod[] =
      "/leadrouter.v1.AssignmentService/CloseAssignment";
  std::optional<Caller> caller = AdmitOrFinish(guard_, *context, kMethod, reactor);
  if (!caller) return reactor;
  workflow_.Close(request->lead_id(), request->etag(), request->outcome(),
                  request->note(), FinishWith(context, reactor, response),
      MayAct(*context, kMethod, *caller, request->lead_id()));
  return reactor;
}

grpc::ServerUnaryReactor* AssignmentServiceImpl::EraseLead(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::EraseLeadRequest* request,
    leadrouter::v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller = AdmitOrFinish(
      guard_, *context, "/leadrouter.v1.AssignmentService/EraseLead", reactor);
  if (!caller) return reactor;
  workflow_.Erase(
      request->lead_id(),
      [this, context, reactor, response, principal = caller->principal,
       peer = context->peer(), lead_id = request->lead_id()](
          absl::StatusOr<RouteOutcome> outcome) {
        if (outcome.ok() && audit_ != nullptr) {
          leadrouter::v1::AuditEvent e;
          e.set_principal(principal);
          e.set_peer(peer);
          e.set_method("/leadrouter.v1.AssignmentService/EraseLead");
          e.add_targets(absl::StrCat("lead:", lead_id));
          e.set_detail("personal data erased");
          // After the erasure committed, written by the audit thread: this
          // runs on the store's writer thread, which must not wait.
          audit_->RecordSoon(std::move(e));
        }
        FinishWith(context, reactor, response)(std::move(outcome));
      });
  return reactor;
}

grpc::ServerWriteReactor<leadrouter::v1::AssignmentEvent>*
AssignmentServiceImpl::WatchAssignments(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::WatchAssignmentsRequest* request) {
  auto refuse = [](absl::Status s) {
    // A reactor that only finishes: the call gets the error at once.
    class Refused final
        : public grpc::ServerWriteReactor<leadrouter::v1::AssignmentEvent> {
     public:
      explicit Refused(grpc::Status s) { Finish(std::move(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(ToGrpcStatus(s));
  };
  if (absl::StatusOr<Caller> caller = guard_.Admit(
          *context, "/leadrouter.v1.AssignmentService/WatchAssignments");
      !caller.ok()) {
    return refuse(caller.status());
  }
  if (auto s = CheckIds(request->rep_id(), request->team_id()); !s.ok()) {
    return refuse(s);
  }
  EventQuery query;
  query.rep_id = request->rep_id();
  query.team_id = request->team_id();
  const int64_t head = store_.LastEventCursor();
  if (!request->cursor().empty()) {
    absl::StatusOr<int64_t> after = ParseWatchCursor(request->cursor(), head);
    if (!after.ok()) return refuse(after.status());
    query.after = *after;
  } else if (!request->from_start()) {
    query.after = head;
  } else {
    // From the oldest event the stream still serves (retention).
    absl::StatusOr<int64_t> oldest = store_.OldestCursor();
    if (!oldest.ok()) return refuse(oldest.status());
    query.after = *oldest;
  }
  const std::string peer = context->peer();
  if (!TakeWatchSlot(peer)) {
    return refuse(absl::ResourceExhaustedError(absl::StrCat(
        "this connection has ", max_watches_per_connection_,
        " open watch streams, the most allowed; close one or open another "
        "connection")));
  }
  return new WatchStream(store_, std::move(query), draining_,
                         [this, peer] { ReleaseWatchSlot(peer); });
}

bool AssignmentServiceImpl::TakeWatchSlot(const std::string& peer) {
  std::lock_guard lock(watches_mu_);
  int& open = watches_by_peer_[peer];
  if (open >= max_watches_per_connection_) {
    if (open == 0) watches_by_peer_.erase(peer);
    return false;
  }
  ++open;
  return true;
}

void AssignmentServiceImpl::ReleaseWatchSlot(const std::string& peer) {
  std::lock_guard lock(watches_mu_);
  if (auto it = watches_by_peer_.find(peer);
      it != watches_by_peer_.end() && --it->second <= 0) {
    watches_by_peer_.erase(it);
  }
}

}  // namespace leadrouter::server

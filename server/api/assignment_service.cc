// Thin: requests are checked and answered by AssignmentReads and
// AssignmentWorkflow (transport-free). Reads are short indexed queries,
// answered on the calling gRPC thread; changes finish from the store's
// commit callback.
#include "server/api/assignment_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "routing/lead_validation.h"
#include "server/api/status.h"
#include "server/api/watch_stream.h"

namespace leadrouter::server {
namespace {

// Finishes a unary call with the assignment a change produced.
RouteCallback FinishWith(grpc::CallbackServerContext* context,
                         grpc::ServerUnaryReactor* reactor,
                         leadrouter::v1::Assignment* response) {
  return [context, reactor, response](absl::StatusOr<RouteOutcome> outcome) {
    if (outcome.ok()) *response = std::move(outcome->assignment);
    FinishUnary(*context, reactor, outcome.status());
  };
}

}  // namespace

RepCheck AssignmentServiceImpl::MayAct(const grpc::ServerContextBase& context,
                                       const char* method, const Caller& caller,
                                       const std::string& lead_id) const {
  if (caller.rep_ids.empty()) return nullptr;
  return [this, peer = context.peer(), method, caller,
          lead_id](const std::string& rep_id) {
    return guard_.CheckRep(peer, method, caller, rep_id, lead_id);
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
  absl::StatusOr<leadrouter::v1::Assignment> a = reads_.Get(request->lead_id());
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
  absl::StatusOr<leadrouter::v1::ListAssignmentsResponse> page =
      reads_.List(*request);
  if (page.ok()) *response = *std::move(page);
  reactor->Finish(ToGrpcStatus(page.status()));
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
  absl::StatusOr<leadrouter::v1::ListQueuesResponse> queues =
      reads_.Queues(*request);
  if (queues.ok()) *response = *std::move(queues);
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
  absl::StatusOr<EventQuery> query = reads_.WatchQuery(*request);
  if (!query.ok()) return refuse(query.status());
  const std::string peer = context->peer();
  if (!TakeWatchSlot(peer)) {
    return refuse(absl::ResourceExhaustedError(absl::StrCat(
        "this connection has ", max_watches_per_connection_,
        " open watch streams, the most allowed; close one or open another "
        "connection")));
  }
  return new WatchStream(store_, *std::move(query), draining_,
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

// RouteLead finishes from the store's commit callback, so no gRPC thread
// waits on an fsync.
#include "server/api/lead_router_service.h"

#include "server/api/route_leads_stream.h"
#include "server/api/status.h"

namespace leadrouter::server {

grpc::ServerUnaryReactor* LeadRouterService::RouteLead(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::RouteLeadRequest* request,
    leadrouter::v1::RouteLeadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context, "/leadrouter.v1.LeadRouter/RouteLead",
                     reactor)) {
    return reactor;
  }
  intake_.Route(request->lead(),
                [context, reactor, response](
                    absl::StatusOr<RouteOutcome> outcome) {
                  if (!outcome.ok()) {
                    FinishUnary(*context, reactor, outcome.status());
                    return;
                  }
                  *response->mutable_assignment() =
                      std::move(outcome->assignment);
                  response->set_replayed(outcome->replayed);
                  reactor->Finish(grpc::Status::OK);
                });
  return reactor;
}

grpc::ServerBidiReactor<leadrouter::v1::RouteLeadRequest,
                        leadrouter::v1::RouteLeadsResponse>*
LeadRouterService::RouteLeads(grpc::CallbackServerContext* context) {
  absl::StatusOr<Caller> caller =
      guard_.Admit(*context, "/leadrouter.v1.LeadRouter/RouteLeads");
  if (!caller.ok()) {
    // A reactor that only finishes: the call gets the refusal at once.
    class Refused final
        : public grpc::ServerBidiReactor<leadrouter::v1::RouteLeadRequest,
                                         leadrouter::v1::RouteLeadsResponse> {
     public:
      explicit Refused(grpc::Status s) { Finish(std::move(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(ToGrpcStatus(caller.status()));
  }
  return new RouteLeadsStream(intake_, draining_);  // deletes itself in OnDone
}

grpc::ServerUnaryReactor* LeadRouterService::ExplainRoute(
    grpc::CallbackServerContext* context,
    const leadrouter::v1::ExplainRouteRequest* request,
    leadrouter::v1::ExplainRouteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!AdmitOrFinish(guard_, *context, "/leadrouter.v1.LeadRouter/ExplainRoute",
                     reactor)) {
    return reactor;
  }
  absl::StatusOr<leadrouter::v1::Assignment> assignment =
      intake_.Explain(request->lead());
  if (assignment.ok()) *response->mutable_assignment() = *std::move(assignment);
  reactor->Finish(ToGrpcStatus(assignment.status()));
  return reactor;
}

}  // namespace leadrouter::server

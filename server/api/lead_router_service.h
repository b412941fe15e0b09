// gRPC LeadRouter: RouteLead, RouteLeads (bidi stream) and ExplainRoute, as a
// thin shell over LeadIntake.
#ifndef LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_
#define LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_

#include <atomic>

#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "server/api/call_guard.h"
#include "server/api/lead_intake.h"

namespace leadrouter::server {

class LeadRouterService final
    : public leadrouter::v1::LeadRouter::CallbackService {
 public:
  LeadRouterService(LeadIntake& intake, const CallGuard& guard)
      : intake_(intake), guard_(guard) {}

  // Called when shutdown begins: a RouteLeads stream whose reading ends
  // from now on may have been cut off by the server rather than closed by
  // its client, so it ends UNAVAILABLE instead of OK (see RouteLeadsStream).
  void BeginDrain() { draining_.store(true); }

  grpc::ServerUnaryReactor* RouteLead(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::RouteLeadRequest* request,
      leadrouter::v1::RouteLeadResponse* response) override;

  grpc::ServerBidiReactor<leadrouter::v1::RouteLeadRequest,
                          leadrouter::v1::RouteLeadsResponse>*
  RouteLeads(grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* ExplainRoute(
      grpc::CallbackServerContext* context,
      const leadrouter::v1::ExplainRouteRequest* request,
      leadrouter::v1::ExplainRouteResponse* response) override;

 private:
  LeadIntake& intake_;
  const CallGuard& guard_;
  std::atomic<bool> draining_ = false;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_

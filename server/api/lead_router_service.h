// gRPC LeadRouter: RouteLead, RouteLeads (bidi stream) and ExplainRoute, as a
// thin shell over LeadIntake.
#ifndef LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_
#define LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_

#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "server/api/lead_intake.h"

namespace leadrouter::server {

class LeadRouterService final
    : public leadrouter::v1::LeadRouter::CallbackService {
 public:
  explicit LeadRouterService(LeadIntake& intake) : intake_(intake) {}

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
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_LEAD_ROUTER_SERVICE_H_

// Counts every RPC the server handles (started, handled by status code,
// handling time) through a gRPC server interceptor, so no service has to
// remember to.
//
//   std::vector<std::unique_ptr<
//       grpc::experimental::ServerInterceptorFactoryInterface>> creators;
//   creators.push_back(std::make_unique<RpcMetricsFactory>(metrics));
//   builder.experimental().SetInterceptorCreators(std::move(creators));
#ifndef LEADROUTER_SERVER_METRICS_RPC_METRICS_H_
#define LEADROUTER_SERVER_METRICS_RPC_METRICS_H_

#include "grpcpp/support/server_interceptor.h"
#include "server/metrics/metrics.h"

namespace leadrouter::server {

class RpcMetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsFactory(Metrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics& metrics_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_METRICS_RPC_METRICS_H_

// An RPC that ends without sending a status (the client cancelled, the
// server shut down) is counted as Canceled when its interceptor goes away.
#include "server/metrics/rpc_metrics.h"

#include <chrono>

namespace leadrouter::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

Metrics::RpcType TypeOf(grpc::experimental::ServerRpcInfo::Type type) {
  switch (type) {
    case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
      return Metrics::RpcType::kClientStream;
    case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
      return Metrics::RpcType::kServerStream;
    case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
      return Metrics::RpcType::kBidiStream;
    default:
      return Metrics::RpcType::kUnary;
  }
}

class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RpcMetricsInterceptor(const Metrics::RpcMethod& method)
      : method_(method), start_(std::chrono::steady_clock::now()) {
    method_.started->Increment();
  }

  ~RpcMetricsInterceptor() override {
    if (!done_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    done_ = true;
    const size_t index = static_cast<size_t>(code);
    if (index < method_.handled.size()) method_.handled[index]->Increment();
    method_.handling_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      start_)
            .count());
  }

  const Metrics::RpcMethod& method_;
  const std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

}  // namespace

grpc::experimental::Interceptor* RpcMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcMetricsInterceptor(
      metrics_.Rpc(info->method(), TypeOf(info->type())));
}

}  // namespace leadrouter::server

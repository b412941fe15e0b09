// absl and gRPC share the canonical code numbers (0 to 16).
#include "server/api/status.h"

#include <string>

namespace leadrouter::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  constexpr size_t kMaxMessage = 4096;
  std::string message(status.message());
  if (message.size() > kMaxMessage) {
    message.resize(kMaxMessage);
    message += "...";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

}  // namespace leadrouter::server

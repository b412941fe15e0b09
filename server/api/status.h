// The one mapping from absl::Status (what the core and the stores return)
// to grpc::Status (what clients see). Codes map one to one; messages are
// capped so a client never receives an unbounded error.
//
//   return reactor->Finish(ToGrpcStatus(status));
#ifndef LEADROUTER_SERVER_API_STATUS_H_
#define LEADROUTER_SERVER_API_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace leadrouter::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_STATUS_H_

// The one mapping from absl::Status (what the core and the stores return)
// to grpc::Status (what clients see). Codes map one to one; messages are
// capped so a client never receives an unbounded error.
//
// An overload refusal also says how long the caller should wait before it
// tries again: in the `grpc-retry-pushback-ms` trailer of a unary call
// (gRPC's own name for it) and in LeadError.retry_after_ms on a stream.
//
//   FinishUnary(*context, reactor, status);
#ifndef LEADROUTER_SERVER_API_STATUS_H_
#define LEADROUTER_SERVER_API_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace leadrouter::server {

// The trailer that carries the retry wait, in milliseconds.
inline constexpr char kRetryPushbackTrailer[] = "grpc-retry-pushback-ms";

// Error messages are cut to this many bytes on every front.
inline constexpr size_t kMaxErrorMessageBytes = 4096;

grpc::Status ToGrpcStatus(const absl::Status& status);

// Marks `status` (an error) as asking the caller to wait `wait` first.
void SetRetryAfter(absl::Status& status, absl::Duration wait);
// The wait `status` asks for, if it asks for one.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// Finishes a unary call with `status`, adding the retry trailer when the
// status asks for a wait.
void FinishUnary(grpc::CallbackServerContext& context,
                 grpc::ServerUnaryReactor* reactor, const absl::Status& status);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_STATUS_H_

// absl and gRPC share the canonical code numbers (0 to 16).
#include "server/api/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace leadrouter::server {
namespace {
// The payload (on the absl::Status, inside the server only) of the wait.
constexpr char kRetryAfterPayload[] = "leadrouter/retry_after_ms";
}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message());
  if (message.size() > kMaxErrorMessageBytes) {
    message.resize(kMaxErrorMessageBytes);
    message += "...";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

void SetRetryAfter(absl::Status& status, absl::Duration wait) {
  status.SetPayload(kRetryAfterPayload,
                    absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(wait))));
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int64_t millis = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &millis) || millis < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(millis);
}

void FinishUnary(grpc::CallbackServerContext& context,
                 grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  if (std::optional<absl::Duration> wait = RetryAfter(status)) {
    context.AddTrailingMetadata(
        kRetryPushbackTrailer, absl::StrCat(absl::ToInt64Milliseconds(*wait)));
  }
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace leadrouter::server

#include "server/api/webhook_admin.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "routing/timestamps.h"

namespace leadrouter::server {

namespace v1 = leadrouter::v1;

absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
    AssignmentStore& store, const v1::ListDeadLettersRequest& request) {
  if (request.limit() < 0 || request.limit() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit: ", request.limit(), " is outside 0 to 1000 (0: 100)"));
  }
  absl::StatusOr<std::vector<DeadLetter>> letters = store.DeadLetters(
      request.subscription(), false, request.limit() == 0 ? 100 : request.limit());
  if (!letters.ok()) return letters.status();
  v1::ListDeadLettersResponse response;
  for (const DeadLetter& d : *letters) {
    v1::WebhookDeadLetter& out = *response.add_dead_letters();
    out.set_subscription(d.subscription);
    *out.mutable_event() = d.event;
    routing::SetTimestamp(absl::FromUnixMicros(d.failed_at_us),
                          out.mutable_failed_at());
    out.set_attempts(d.attempts);
    out.set_error(d.error);
    out.set_retry_requested(d.retry);
  }
  return response;
}

absl::StatusOr<v1::RetryDeadLettersResponse> RetryDeadLetters(
    AssignmentStore& store, const routing::RoutingTable& running,
    const v1::RetryDeadLettersRequest& request) {
  bool known = false;
  for (const auto& w : running.config().webhooks()) {
    known |= w.id() == request.subscription();
  }
  if (!known) {
    return absl::NotFoundError(absl::StrCat(
        "subscription: no webhook \"", request.subscription().substr(0, 64),
        "\" in the running config"));
  }
  int64_t cursor = 0;
  if (!request.cursor().empty() &&
      (!absl::SimpleAtoi(request.cursor(), &cursor) || cursor <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cursor: \"", request.cursor().substr(0, 32),
                     "\" is not a dead letter's cursor"));
  }
  absl::StatusOr<int> marked =
      store.RetryDeadLetters(request.subscription(), cursor);
  if (!marked.ok()) return marked.status();
  if (cursor != 0 && *marked == 0) {
    return absl::NotFoundError(absl::StrCat("cursor: no dead letter ",
                                            cursor, " of webhook \"",
                                            request.subscription(), "\""));
  }
  v1::RetryDeadLettersResponse response;
  response.set_marked(*marked);
  return response;
}

}  // namespace leadrouter::server

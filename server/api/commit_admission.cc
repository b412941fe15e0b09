#include "server/api/commit_admission.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace leadrouter::server {

absl::Status CommitAdmission::Enter() {
  int pending = pending_.load(std::memory_order_acquire);
  while (pending < max_pending_) {
    if (pending_.compare_exchange_weak(pending, pending + 1,
                                       std::memory_order_acq_rel)) {
      return absl::OkStatus();
    }
  }
  shed_.fetch_add(1, std::memory_order_relaxed);
  return absl::ResourceExhaustedError(absl::StrCat(
      "leadrouterd is overloaded: ", max_pending_,
      " writes are already waiting to be committed (--max_pending_commits); "
      "retry with backoff"));
}

RouteCallback CommitAdmission::Releasing(RouteCallback done) {
  return [this, done = std::move(done)](absl::StatusOr<RouteOutcome> outcome) {
    Leave();
    done(std::move(outcome));
  };
}

}  // namespace leadrouter::server

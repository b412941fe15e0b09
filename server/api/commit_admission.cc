#include "server/api/commit_admission.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/status.h"

namespace leadrouter::server {

absl::Status CommitAdmission::Enter() {
  int pending = pending_.load(std::memory_order_acquire);
  while (pending < max_pending_) {
    if (pending_.compare_exchange_weak(pending, pending + 1,
                                       std::memory_order_acq_rel)) {
      admitted_.fetch_add(1, std::memory_order_relaxed);
      return absl::OkStatus();
    }
  }
  shed_.fetch_add(1, std::memory_order_relaxed);
  const absl::Duration wait = Refused();
  absl::Status refused = absl::ResourceExhaustedError(absl::StrCat(
      "leadrouterd is overloaded: ", max_pending_,
      " writes are already waiting to be committed (--max_pending_commits); "
      "retry in ",
      absl::ToInt64Milliseconds(wait), " ms"));
  SetRetryAfter(refused, wait);
  return refused;
}

absl::Duration CommitAdmission::Refused() {
  const absl::Time now = clock_();
  const int64_t admitted = admitted_.load(std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  if (now - window_start_ >= kWindow) {
    const absl::Duration elapsed = now - window_start_;
    if (elapsed > kMaxRetryAfter + kWindow) {
      // The first refusal after a calm spell: start again from the least.
      retry_after_ = kMinRetryAfter;
    } else {
      // Steer the refusals per admitted call towards the target, by at
      // most a factor of two per window.
      const double target = std::max(
          1.0, kTargetShedRatio *
                   static_cast<double>(admitted - window_admitted_from_));
      const double factor =
          std::clamp(static_cast<double>(window_shed_) / target, 0.5, 2.0);
      retry_after_ = std::clamp(retry_after_ * factor, kMinRetryAfter,
                                kMaxRetryAfter);
    }
    window_start_ = now;
    window_shed_ = 0;
    window_admitted_from_ = admitted;
  }
  ++window_shed_;
  return retry_after_;
}

absl::Duration CommitAdmission::retry_after() const {
  absl::MutexLock lock(&mu_);
  return retry_after_;
}

RouteCallback CommitAdmission::Releasing(RouteCallback done) {
  return [this, done = std::move(done)](absl::StatusOr<RouteOutcome> outcome) {
    Leave();
    done(std::move(outcome));
  };
}

}  // namespace leadrouter::server

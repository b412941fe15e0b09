// Bounds the writes waiting for a commit. Each route or transition holds a
// slot from the moment it is accepted until its durable answer; when every
// slot is taken a new one is refused at once with RESOURCE_EXHAUSTED,
// before any work is done for it. Under far more callers than the store can
// commit, the queue (and so each admitted call's wait and the memory it
// holds) stays bounded, and the machine keeps its time for admitted calls.
//
// A refusal also says how long to wait before trying again (RetryAfter in
// status.h). A refused call still costs a round trip, so under sustained
// overload the wait grows until about one call is refused for every ten
// admitted, and shrinks again as refusals stop: the time spent refusing
// stays a small share of the machine however many callers there are.
//
//   CommitAdmission admission(1024);
//   if (absl::Status s = admission.Enter(); !s.ok()) return done(s);
//   done = admission.Releasing(std::move(done));  // gives the slot back
#ifndef LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_
#define LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe.
class CommitAdmission {
 public:
  // The retry wait a refusal asks for is kept within these bounds.
  static constexpr absl::Duration kMinRetryAfter = absl::Milliseconds(50);
  static constexpr absl::Duration kMaxRetryAfter = absl::Seconds(5);
  // Refusals per admitted call the retry wait steers to.
  static constexpr double kTargetShedRatio = 0.1;
  // How often the retry wait is adjusted.
  static constexpr absl::Duration kWindow = absl::Milliseconds(250);

  explicit CommitAdmission(
      int max_pending, std::function<absl::Time()> clock = [] {
        return absl::Now();
      })
      : max_pending_(max_pending), clock_(std::move(clock)) {}

  // Takes a slot, or RESOURCE_EXHAUSTED (nothing taken) when all are held;
  // the refusal carries the wait to ask for (RetryAfter in status.h).
  absl::Status Enter();
  // Gives a slot back.
  void Leave() { pending_.fetch_sub(1, std::memory_order_acq_rel); }

  // `done`, wrapped to give the slot back when it runs. The caller must
  // have entered.
  RouteCallback Releasing(RouteCallback done);

  int pending() const { return pending_.load(std::memory_order_acquire); }
  int max_pending() const { return max_pending_; }
  int64_t shed() const { return shed_.load(std::memory_order_relaxed); }
  // The wait the next refusal asks for.
  absl::Duration retry_after() const;

 private:
  // Counts a refusal and returns the wait it asks for.
  absl::Duration Refused();

  const int max_pending_;
  const std::function<absl::Time()> clock_;
  std::atomic<int> pending_ = 0;
  std::atomic<int64_t> shed_ = 0;
  std::atomic<int64_t> admitted_ = 0;

  mutable absl::Mutex mu_;
  absl::Duration retry_after_ ABSL_GUARDED_BY(mu_) = kMinRetryAfter;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t window_shed_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t window_admitted_from_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_

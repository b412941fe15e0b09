// Bounds the writes waiting for a commit. Each route or transition holds a
// slot from the moment it is accepted until its durable answer; when every
// slot is taken a new one is refused at once with RESOURCE_EXHAUSTED,
// before any work is done for it. Under far more callers than the store can
// commit, the queue (and so each admitted call's wait and the memory it
// holds) stays bounded, and the machine keeps its time for admitted calls.
//
//   CommitAdmission admission(1024);
//   if (absl::Status s = admission.Enter(); !s.ok()) return done(s);
//   done = admission.Releasing(std::move(done));  // gives the slot back
#ifndef LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_
#define LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe.
class CommitAdmission {
 public:
  explicit CommitAdmission(int max_pending) : max_pending_(max_pending) {}

  // Takes a slot, or RESOURCE_EXHAUSTED (nothing taken) when all are held.
  absl::Status Enter();
  // Gives a slot back.
  void Leave() { pending_.fetch_sub(1, std::memory_order_acq_rel); }

  // `done`, wrapped to give the slot back when it runs. The caller must
  // have entered.
  RouteCallback Releasing(RouteCallback done);

  int pending() const { return pending_.load(std::memory_order_acquire); }
  int max_pending() const { return max_pending_; }
  int64_t shed() const { return shed_.load(std::memory_order_relaxed); }

 private:
  const int max_pending_;
  std::atomic<int> pending_ = 0;
  std::atomic<int64_t> shed_ = 0;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_COMMIT_ADMISSION_H_

// Writes the audit trail into the store: admin changes synchronously (the
// call answers after its record is durable) or, from the store's own
// threads (an erasure's commit), through the audit thread; denied calls
// through a bounded queue that the audit thread writes in batches, so a
// flood of refused calls costs one transaction per batch and bounded
// memory, never a stall of the callers. What does not fit the queue is counted and recorded as one
// summary event ("N denied calls not recorded one by one").
//
//   AuditTrail audit(store, absl::Now);
//   audit.Record(event);          // ApplyConfig, SetRepAvailability, ...
//   audit.RecordDenied(event);    // from the call guard
//   audit.RecordSoon(event);      // from a commit callback
//   audit.Stop();                 // before the store closes
#ifndef LEADROUTER_SERVER_AUDIT_AUDIT_TRAIL_H_
#define LEADROUTER_SERVER_AUDIT_AUDIT_TRAIL_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Thread-safe.
class AuditTrail {
 public:
  static constexpr size_t kMaxQueuedDenials = 4096;

  AuditTrail(AssignmentStore& store, std::function<absl::Time()> clock);
  ~AuditTrail();

  // Stamps `event` with the time and stores it durably before returning.
  absl::Status Record(leadrouter::v1::AuditEvent event);
  // Stamps and queues it; written within moments by the audit thread.
  // Beyond kMaxQueuedDenials it is only counted (see above).
  void RecordDenied(leadrouter::v1::AuditEvent event);
  // Stamps and queues a change that already happened, for callers that
  // must not wait on a write (the store's commit callbacks); never dropped.
  void RecordSoon(leadrouter::v1::AuditEvent event);
  // Writes what is queued and stops the thread. Idempotent.
  void Stop();

 private:
  void WriterLoop();

  AssignmentStore& store_;
  std::function<absl::Time()> clock_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::vector<leadrouter::v1::AuditEvent> queued_;  // mu_
  int64_t dropped_ = 0;                             // mu_
  bool stopping_ = false;                           // mu_
  std::thread writer_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_AUDIT_AUDIT_TRAIL_H_

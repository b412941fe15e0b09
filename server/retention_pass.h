// Retention in the running service: the flags' checks, and one pruning pass
// (run by a PeriodicPass every --retention_interval). A pass deletes in
// small batches, each its own short transaction, and pauses between them so
// routing's commits go first; it stops after a few seconds of work and the
// next pass goes on where it ended.
//
//   RetentionPolicy policy{.events = absl::Hours(24 * 30)};
//   PeriodicPass pruner("retention", absl::Seconds(10), [&] {
//     return PruneExpired(store, policy, absl::Now(), &metrics);
//   });
#ifndef LEADROUTER_SERVER_RETENTION_PASS_H_
#define LEADROUTER_SERVER_RETENTION_PASS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/metrics/metrics.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Rows per batch (leads, and events).
inline constexpr int kPruneBatch = 256;

// A retention flag's value: 0 (keep forever) or from 1s to 3650 days.
// INVALID_ARGUMENT naming `flag` otherwise.
absl::Status CheckRetention(absl::Duration value, const char* flag);

// Deletes what `policy` lets go by `now`, batch after batch; returns how
// many rows went. `metrics` may be null.
absl::StatusOr<int> PruneExpired(AssignmentStore& store,
                                 const RetentionPolicy& policy, absl::Time now,
                                 Metrics* metrics);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_RETENTION_PASS_H_

#include "server/retention_pass.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace leadrouter::server {
namespace {

// How long one pass may work before it leaves the rest to the next one.
constexpr absl::Duration kPassBudget = absl::Seconds(5);
// The pause between two batches, in which queued commits run.
constexpr auto kPause = std::chrono::milliseconds(2);

}  // namespace

absl::Status CheckRetention(absl::Duration value, const char* flag) {
  if (value == absl::ZeroDuration()) return absl::OkStatus();
  if (value < absl::Seconds(1) || value > absl::Hours(24 * 3650)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": ", absl::FormatDuration(value),
        " is out of range; give 0 (keep forever) or 1s to 3650d "
        "(e.g. 30d as 720h)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PruneExpired(AssignmentStore& store,
                                 const RetentionPolicy& policy, absl::Time now,
                                 Metrics* metrics) {
  int deleted = 0;
  const absl::Time give_up = absl::Now() + kPassBudget;
  while (true) {
    absl::StatusOr<PruneResult> batch = store.Prune(policy, now, kPruneBatch);
    if (!batch.ok()) return batch.status();
    if (metrics != nullptr) {
      metrics->RetentionDeleted(batch->leads_deleted, batch->events_deleted);
    }
    deleted += static_cast<int>(batch->leads_deleted + batch->events_deleted);
    if (!batch->more || absl::Now() >= give_up) return deleted;
    std::this_thread::sleep_for(kPause);
  }
}

}  // namespace leadrouter::server

#include "server/queue_drainer.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/log.h"

namespace leadrouter::server {

QueueDrainer::QueueDrainer(LeadIntake& intake, absl::Duration interval)
    : intake_(intake), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

void QueueDrainer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueueDrainer::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<int> moved = intake_.DrainQueues();
    if (!moved.ok()) {
      LogError("queue_drain_failed",
               {{"error", std::string(moved.status().message())}});
    } else if (*moved > 0) {
      LogInfo("queues_drained", {{"leads", absl::StrCat(*moved)}});
    }
    lock.lock();
    wake_.wait_for(lock,
                   std::chrono::microseconds(
                       absl::ToInt64Microseconds(interval_)),
                   [&] { return stopping_; });
  }
}

}  // namespace leadrouter::server

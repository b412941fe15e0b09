// A batch is written in one transaction; a failed write is logged (the
// events are lost, the callers were refused anyway) and the thread goes on.
#include "server/audit/audit_trail.h"

#include "absl/strings/str_cat.h"
#include "routing/timestamps.h"
#include "server/log.h"

namespace leadrouter::server {

AuditTrail::AuditTrail(AssignmentStore& store,
                       std::function<absl::Time()> clock)
    : store_(store), clock_(std::move(clock)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AuditTrail::~AuditTrail() { Stop(); }

absl::Status AuditTrail::Record(leadrouter::v1::AuditEvent event) {
  routing::SetTimestamp(clock_(), event.mutable_at());
  absl::Status s = store_.AppendAudit({std::move(event)});
  if (!s.ok()) {
    LogError("audit_write_failed", {{"error", std::string(s.message())}});
  }
  return s;
}

void AuditTrail::RecordDenied(leadrouter::v1::AuditEvent event) {
  routing::SetTimestamp(clock_(), event.mutable_at());
  std::lock_guard lock(mu_);
  if (stopping_ || queued_.size() >= kMaxQueuedDenials) {
    ++dropped_;
    return;
  }
  queued_.push_back(std::move(event));
  ready_.notify_one();
}

void AuditTrail::RecordSoon(leadrouter::v1::AuditEvent event) {
  routing::SetTimestamp(clock_(), event.mutable_at());
  std::lock_guard lock(mu_);
  queued_.push_back(std::move(event));
  ready_.notify_one();
}

void AuditTrail::WriterLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    ready_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
    if (queued_.empty() && dropped_ == 0 && stopping_) return;
    std::vector<leadrouter::v1::AuditEvent> batch;
    batch.swap(queued_);
    if (dropped_ > 0) {
      leadrouter::v1::AuditEvent summary;
      routing::SetTimestamp(clock_(), summary.mutable_at());
      summary.set_principal("unauthenticated");
      summary.set_method("(many)");
      summary.set_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
      summary.set_detail(absl::StrCat(
          dropped_, " denied calls not recorded one by one (queue full)"));
      batch.push_back(std::move(summary));
      dropped_ = 0;
    }
    lock.unlock();
    if (absl::Status s = store_.AppendAudit(batch); !s.ok()) {
      LogError("audit_write_failed",
               {{"error", std::string(s.message())},
                {"events", absl::StrCat(batch.size())}});
    }
    lock.lock();
  }
}

void AuditTrail::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
    ready_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

}  // namespace leadrouter::server

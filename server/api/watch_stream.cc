#include "server/api/watch_stream.h"

#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/status.h"

namespace leadrouter::server {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

}  // namespace

WatchStream::WatchStream(AssignmentStore& store, EventQuery query,
                         const std::atomic<bool>& draining,
                         std::function<void()> on_done)
    : store_(store),
      query_(std::move(query)),
      draining_(draining),
      on_done_(std::move(on_done)),
      delivered_cursor_(absl::StrCat(query_.after)) {
  query_.limit = kPageSize;
  // Tells the client the watch is established before any event arrives.
  StartSendInitialMetadata();
  Next();
}

void WatchStream::Next() {
  {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
  }
  if (draining_.load()) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("leadrouterd is shutting down; watch "
                                     "again with cursor \"",
                                     delivered_cursor_, "\"")));
    return;
  }
  if (next_ == page_.size()) {
    // Everything up to the newest commit seen at the last read was looked
    // at if that read returned less than a page.
    if (static_cast<int>(page_.size()) < kPageSize) {
      query_.after = std::max(query_.after, head_at_fetch_);
    }
    page_.clear();
    next_ = 0;
    const int64_t head = store_.LastEventCursor();
    head_at_fetch_ = 0;
    if (head <= query_.after) {
      WaitForCommits();
      return;
    }
    absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>> events =
        store_.Events(query_);
    if (!events.ok()) {
      Finish(ToGrpcStatus(events.status()));
      return;
    }
    page_ = *std::move(events);
    if (page_.empty()) {
      query_.after = head;
      WaitForCommits();
      return;
    }
    head_at_fetch_ = head;
  }
  const leadrouter::v1::AssignmentEvent& event = page_[next_++];
  int64_t seq = 0;
  if (absl::SimpleAtoi(event.cursor(), &seq)) {
    query_.after = std::max(query_.after, seq);
  }
  delivered_cursor_ = event.cursor();
  StartWrite(&event);
}

void WatchStream::WaitForCommits() {
  std::lock_guard lock(mu_);
  if (cancelled_) {
    Finish(grpc::Status::CANCELLED);
    return;
  }
  // This may run inside the callback of alarm_: keep that alarm alive until
  // the next wait, when its callback has long returned.
  retired_alarm_ = std::move(alarm_);
  alarm_ = std::make_unique<grpc::Alarm>();
  alarm_->Set(absl::ToChronoTime(absl::Now() + kPollInterval),
              [this](bool /*fired*/) { Next(); });
}

void WatchStream::OnWriteDone(bool ok) {
  if (!ok) {  // the client is gone
    Finish(grpc::Status::CANCELLED);
    return;
  }
  Next();
}

void WatchStream::OnCancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (alarm_ != nullptr) alarm_->Cancel();  // fires at once; Next finishes
}

}  // namespace leadrouter::server

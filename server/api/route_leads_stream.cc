// State lives under one mutex; every event updates it and calls Advance(),
// which issues at most one read and one write and finishes the call when the
// client is done and every lead has been answered.
#include "server/api/route_leads_stream.h"

#include "server/api/status.h"

namespace leadrouter::server {

RouteLeadsStream::RouteLeadsStream(LeadIntake& intake,
                                   const std::atomic<bool>& draining)
    : intake_(intake), draining_(draining) {
  std::lock_guard lock(mu_);
  Advance();
}

void RouteLeadsStream::Advance() {
  if (!reading_ && !deciding_ && !reads_done_ && !failed_ &&
      static_cast<int>(slots_.size()) < kMaxInFlight) {
    reading_ = true;
    StartRead(&request_);
  }
  if (!writing_ && !failed_ && !slots_.empty() && slots_.front()->ready) {
    writing_ = true;
    StartWrite(&slots_.front()->response);
  }
  // A routing callback refers to this object: never finish before the last
  // one has run, even when the call is cancelled.
  if (finished_ || reading_ || deciding_ || writing_ || routing_ > 0) return;
  if (failed_) {
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                        "stream cancelled or broken"));
  } else if (reads_done_ && slots_.empty()) {
    finished_ = true;
    // OK promises that every lead sent got its response. A shutdown can end
    // reading before the client's last leads arrive, and gRPC cannot tell
    // that apart from the client closing; so say what the client must do.
    Finish(cut_by_drain_
               ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "leadrouterd is shutting down; every lead "
                              "answered above is stored, resend the ones "
                              "without a response")
               : grpc::Status::OK);
  }
}

void RouteLeadsStream::OnReadDone(bool ok) {
  std::unique_lock lock(mu_);
  reading_ = false;
  if (!ok) {
    reads_done_ = true;
    cut_by_drain_ = draining_.load();
    Advance();
    return;
  }
  auto slot = std::make_shared<Slot>();
  slot->response.set_lead_id(request_.lead().id());
  slots_.push_back(slot);
  ++routing_;
  deciding_ = true;
  leadrouter::v1::Lead lead = std::move(*request_.mutable_lead());
  lock.unlock();

  // The next read starts only after this lead is decided (Route returns once
  // the decision is made; the commit follows later), so a stream's leads are
  // decided in request order while their commits overlap. deciding_ keeps
  // completions of earlier leads from starting that read meanwhile.
  intake_.Route(lead, [this, slot](absl::StatusOr<RouteOutcome> outcome) {
    std::lock_guard lock(mu_);
    if (outcome.ok()) {
      auto* routed = slot->response.mutable_routed();
      *routed->mutable_assignment() = std::move(outcome->assignment);
      routed->set_replayed(outcome->replayed);
    } else {
      const grpc::Status status = ToGrpcStatus(outcome.status());
      auto* error = slot->response.mutable_error();
      error->set_code(status.error_code());
      error->set_message(status.error_message());
      if (std::optional<absl::Duration> wait = RetryAfter(outcome.status())) {
        error->set_retry_after_ms(absl::ToInt64Milliseconds(*wait));
      }
    }
    slot->ready = true;
    --routing_;
    Advance();
  });
  lock.lock();
  deciding_ = false;
  Advance();
}

void RouteLeadsStream::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  slots_.pop_front();
  if (!ok) failed_ = true;
  Advance();
}

void RouteLeadsStream::OnCancel() {
  std::lock_guard lock(mu_);
  failed_ = true;
  Advance();
}

void RouteLeadsStream::OnDone() {
  // Finish came only after every routing callback had run (see Advance).
  delete this;
}

}  // namespace leadrouter::server

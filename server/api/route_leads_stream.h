// The server side of one RouteLeads stream. Several leads of a stream are
// routed at once (so they share group commits) while responses go out one
// per request, in request order.
#ifndef LEADROUTER_SERVER_API_ROUTE_LEADS_STREAM_H_
#define LEADROUTER_SERVER_API_ROUTE_LEADS_STREAM_H_

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "grpcpp/support/server_callback.h"
#include "leadrouter/v1/lead_router.pb.h"
#include "server/api/lead_intake.h"

namespace leadrouter::server {

// Owns itself: created per call, deleted in OnDone.
class RouteLeadsStream final
    : public grpc::ServerBidiReactor<leadrouter::v1::RouteLeadRequest,
                                     leadrouter::v1::RouteLeadsResponse> {
 public:
  // Leads of one stream routed at the same time; reading pauses beyond it.
  static constexpr int kMaxInFlight = 64;

  // `draining` turns true when the server begins shutting down.
  RouteLeadsStream(LeadIntake& intake, const std::atomic<bool>& draining);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Slot {
    leadrouter::v1::RouteLeadsResponse response;
    bool ready = false;
  };

  // Starts what can start now; call with mu_ held.
  void Advance();

  LeadIntake& intake_;
  const std::atomic<bool>& draining_;
  leadrouter::v1::RouteLeadRequest request_;

  std::mutex mu_;
  std::deque<std::shared_ptr<Slot>> slots_;  // in request order
  bool reading_ = false;
  bool deciding_ = false;    // OnReadDone is handing a lead to LeadIntake
  bool reads_done_ = false;  // client half-closed, or the call broke
  // Reading ended while the server was draining: the client may have sent
  // leads that were never read.
  bool cut_by_drain_ = false;
  bool writing_ = false;
  int routing_ = 0;          // leads handed to LeadIntake, not yet answered
  bool failed_ = false;      // a write failed or the call was cancelled
  bool finished_ = false;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_ROUTE_LEADS_STREAM_H_

// RouteLeads streams that end badly: a client that cancels mid-stream, and a
// daemon told to stop while a stream is busy. Neither may crash the daemon
// or lose a lead that got an answer.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

TEST_F(DaemonTest, ClientCancellingAStreamLeavesTheDaemonServing) {
  for (int round = 0; round < 5; ++round) {
    grpc::ClientContext context;
    auto stream = router_->RouteLeads(&context);
    for (int i = 0; i < 200; ++i) {
      v1::RouteLeadRequest request;
      *request.mutable_lead() =
          MakeLead("C-" + std::to_string(round) + "-" + std::to_string(i), "GB");
      if (!stream->Write(request)) break;
    }
    context.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(RouteTo(MakeLead("after", "DE")), "anna");
}

TEST_F(DaemonTest, SigtermDuringAStreamLetsItFinishAndKeepsEveryLead) {
  grpc::ClientContext context;
  auto stream = router_->RouteLeads(&context);
  std::atomic<bool> writing = true;
  std::atomic<int> written = 0;
  std::thread writer([&] {
    while (writing) {
      v1::RouteLeadRequest request;
      *request.mutable_lead() = MakeLead("T-" + std::to_string(written), "GB");
      if (!stream->Write(request)) break;
      ++written;
    }
    stream->WritesDone();
  });
  std::vector<v1::RouteLeadsResponse> answered;
  v1::RouteLeadsResponse response;
  while (stream->Read(&response)) {
    answered.push_back(response);
    if (answered.size() == 200) {
      // Stop the daemon in the middle of the stream; the client then
      // finishes its stream as a well-behaved client does.
      daemon_->SendTerm();
      writing = false;
    }
  }
  writer.join();
  const grpc::Status finished = stream->Finish();
  EXPECT_EQ(daemon_->WaitForExit(), 0);
  if (finished.ok()) {
    // OK promises that every lead written got its answer.
    ASSERT_EQ(answered.size(), static_cast<size_t>(written.load()));
  } else {
    // The drain ended reading before the client's last leads arrived: the
    // stream ends UNAVAILABLE ("resend the ones without a response"), or,
    // when the client was still writing as the process closed its socket,
    // the transport reports the reset as UNAVAILABLE. Either way the client
    // resends the unanswered leads, and every answered one is stored.
    ASSERT_EQ(finished.error_code(), grpc::StatusCode::UNAVAILABLE)
        << finished.error_message();
    ASSERT_LE(answered.size(), static_cast<size_t>(written.load()));
  }
  ASSERT_GE(answered.size(), 200u);

  StartDaemon();
  for (const auto& r : answered) {
    ASSERT_TRUE(r.has_routed()) << r.lead_id();
    v1::Assignment a;
    ASSERT_TRUE(Get(r.lead_id(), &a).ok()) << r.lead_id();
    EXPECT_EQ(a.rep_id(), r.routed().assignment().rep_id());
  }
}

}  // namespace
}  // namespace leadrouter::testing

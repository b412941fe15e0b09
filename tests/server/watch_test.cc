// WatchAssignments and the state machine over gRPC against a real
// leadrouterd: a tool that drops its stream under load and reconnects with
// its last cursor sees every event exactly once; filters; cursor errors; the
// transition calls' status codes.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

int64_t Seq(const v1::AssignmentEvent& e) {
  int64_t seq = 0;
  EXPECT_TRUE(absl::SimpleAtoi(e.cursor(), &seq)) << e.cursor();
  return seq;
}

class WatchTest : public DaemonTest {
 protected:
  std::unique_ptr<grpc::ClientReader<v1::AssignmentEvent>> Watch(
      grpc::ClientContext* context, const v1::WatchAssignmentsRequest& request) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(60));
    return assignments_->WatchAssignments(context, request);
  }
};

TEST_F(WatchTest, AToolThatReconnectsWithItsCursorMissesNothingAndSeesNothingTwice) {
  constexpr int kLeads = 600;
  std::atomic<int> routed = 0;
  std::thread load([&] {
    for (int i = 0; i < kLeads; ++i) {
      v1::RouteLeadResponse response;
      ASSERT_TRUE(Route(MakeLead(absl::StrCat("w-", i), "GB"), &response).ok());
      routed.fetch_add(1);
    }
  });

  std::vector<v1::AssignmentEvent> seen;
  std::string cursor;
  int connections = 0;
  // Reconnect every 97 events until every lead's event arrived.
  while (static_cast<int>(seen.size()) < kLeads) {
    ++connections;
    ASSERT_LT(connections, 100);
    grpc::ClientContext context;
    v1::WatchAssignmentsRequest request;
    request.set_team_id("bulk");
    if (cursor.empty()) {
      request.set_from_start(true);
    } else {
      request.set_cursor(cursor);
    }
    auto reader = Watch(&context, request);
    v1::AssignmentEvent event;
    int this_stream = 0;
    while (static_cast<int>(seen.size()) < kLeads && reader->Read(&event)) {
      seen.push_back(event);
      cursor = event.cursor();
      if (++this_stream == 97) break;  // drop the stream mid-flow
    }
    context.TryCancel();
    reader->Finish().IgnoreError();
  }
  load.join();
  EXPECT_GT(connections, 5);

  std::set<std::string> leads;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i > 0) {
      ASSERT_LT(Seq(seen[i - 1]), Seq(seen[i])) << "at event " << i;
    }
    EXPECT_EQ(seen[i].type(), v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED);
    EXPECT_EQ(seen[i].team_id(), "bulk");
    EXPECT_TRUE(leads.insert(seen[i].lead_id()).second)
        << seen[i].lead_id() << " twice";
  }
  EXPECT_EQ(leads.size(), static_cast<size_t>(kLeads));
}

TEST_F(WatchTest, AConsumerThatDoesNotReadNeitherStallsRoutingNorLosesEvents) {
  grpc::ClientContext context;
  v1::WatchAssignmentsRequest request;
  request.set_team_id("bulk");
  auto reader = Watch(&context, request);
  reader->WaitForInitialMetadata();
  // Far more than one page and than the transport's flow-control window
  // holds, while the watcher reads nothing.
  constexpr int kLeads = 3000;
  for (int i = 0; i < kLeads; ++i) {
    v1::RouteLeadResponse response;
    ASSERT_TRUE(Route(MakeLead(absl::StrCat("s-", i), "GB"), &response).ok());
  }
  v1::AssignmentEvent event;
  int64_t last = 0;
  for (int i = 0; i < kLeads; ++i) {
    ASSERT_TRUE(reader->Read(&event)) << "after " << i;
    EXPECT_EQ(event.lead_id(), absl::StrCat("s-", i));
    EXPECT_GT(Seq(event), last);
    last = Seq(event);
  }
  context.TryCancel();
  reader->Finish().IgnoreError();
}

TEST_F(WatchTest, ALiveWatchGetsChangesAsTheyAreStoredFilteredByRep) {
  grpc::ClientContext context;
  v1::WatchAssignmentsRequest request;
  request.set_rep_id("anna");
  auto reader = Watch(&context, request);
  reader->WaitForInitialMetadata();  // the watch is established

  // dach has anna and ben in turn: anna gets d-0, ben gets d-1.
  EXPECT_EQ(RouteTo(MakeLead("d-0", "DE")), "anna");
  EXPECT_EQ(RouteTo(MakeLead("d-1", "DE")), "ben");
  {
    grpc::ClientContext ctx;
    v1::RejectAssignmentRequest reject;
    reject.set_lead_id("d-0");
    reject.set_note("on holiday tomorrow");
    v1::Assignment after;
    ASSERT_TRUE(assignments_->RejectAssignment(&ctx, reject, &after).ok());
    EXPECT_EQ(after.rep_id(), "ben");
  }
  std::vector<v1::AssignmentEvent> events(3);
  for (auto& e : events) ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(events[0].type(), v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED);
  EXPECT_EQ(events[0].lead_id(), "d-0");
  EXPECT_EQ(events[1].type(), v1::ASSIGNMENT_EVENT_TYPE_REJECTED);
  EXPECT_EQ(events[1].previous_rep_id(), "anna");
  EXPECT_EQ(events[1].note(), "on holiday tomorrow");
  EXPECT_EQ(events[2].type(), v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED);
  EXPECT_EQ(events[2].rep_id(), "ben");
  EXPECT_EQ(events[2].previous_rep_id(), "anna");
  context.TryCancel();
  reader->Finish().IgnoreError();
}

TEST_F(WatchTest, ShutdownEndsAWatchUnavailableWithTheCursorToResumeFrom) {
  EXPECT_EQ(RouteTo(MakeLead("s-0", "DE")), "anna");
  grpc::ClientContext context;
  v1::WatchAssignmentsRequest request;
  request.set_from_start(true);
  auto reader = Watch(&context, request);
  v1::AssignmentEvent event;
  ASSERT_TRUE(reader->Read(&event));
  daemon_->SendTerm();
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("cursor \"", event.cursor(), "\"")));
  // Ended by the drain with a cursor, not cancelled at the drain deadline.
  EXPECT_EQ(daemon_->WaitForExit(), 0);
  daemon_.reset();
}

TEST_F(WatchTest, BadCursorsAreRefused) {
  for (const auto& [cursor, code] :
       std::map<std::string, grpc::StatusCode>{
           {"abc", grpc::StatusCode::INVALID_ARGUMENT},
           {"-4", grpc::StatusCode::INVALID_ARGUMENT},
           {"999999", grpc::StatusCode::OUT_OF_RANGE}}) {
    grpc::ClientContext context;
    v1::WatchAssignmentsRequest request;
    request.set_cursor(cursor);
    auto reader = Watch(&context, request);
    v1::AssignmentEvent event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), code) << cursor;
    EXPECT_THAT(status.error_message(), HasSubstr("cursor")) << cursor;
  }
}

TEST_F(WatchTest, TransitionsOverGrpcUseTheCanonicalCodes) {
  ASSERT_EQ(RouteTo(MakeLead("t-0", "DE")), "anna");
  v1::Assignment current;
  ASSERT_TRUE(Get("t-0", &current).ok());

  auto close = [&](const std::string& etag, v1::CloseOutcome outcome) {
    grpc::ClientContext ctx;
    v1::CloseAssignmentRequest r;
    r.set_lead_id("t-0");
    r.set_etag(etag);
    r.set_outcome(outcome);
    v1::Assignment out;
    return assignments_->CloseAssignment(&ctx, r, &out);
  };
  EXPECT_EQ(close("", v1::CLOSE_OUTCOME_WON).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(close("", v1::CLOSE_OUTCOME_UNSPECIFIED).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext ctx;
  v1::AcceptAssignmentRequest accept;
  accept.set_lead_id("t-0");
  accept.set_etag(current.etag());
  v1::Assignment accepted;
  ASSERT_TRUE(assignments_->AcceptAssignment(&ctx, accept, &accepted).ok());
  EXPECT_EQ(close(current.etag(), v1::CLOSE_OUTCOME_WON).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_TRUE(close(accepted.etag(), v1::CLOSE_OUTCOME_WON).ok());

  grpc::ClientContext missing_ctx;
  accept.set_lead_id("never-routed");
  EXPECT_EQ(assignments_->AcceptAssignment(&missing_ctx, accept, &accepted)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // History through GetAssignment.
  ASSERT_TRUE(Get("t-0", &current).ok());
  ASSERT_EQ(current.history_size(), 3);
  EXPECT_EQ(current.history(2).type(), v1::ASSIGNMENT_EVENT_TYPE_CLOSED);

  // ListAssignments by state.
  v1::ListAssignmentsRequest list;
  list.set_state(v1::ASSIGNMENT_STATE_CLOSED);
  v1::ListAssignmentsResponse page;
  ASSERT_TRUE(List(list, &page).ok());
  ASSERT_EQ(page.assignments_size(), 1);
  EXPECT_EQ(page.assignments(0).lead_id(), "t-0");
  list.set_state(static_cast<v1::AssignmentState>(42));
  EXPECT_EQ(List(list, &page).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// With --event_retention the stream keeps a window: a cursor whose
// successors were pruned is refused with OUT_OF_RANGE naming the oldest
// cursor served, from_start begins there, and open leads keep their
// history. Waits on the condition (bounded), not on the clock.
TEST_F(WatchTest, ACursorOlderThanTheRetentionWindowIsOutOfRange) {
  daemon_->Terminate();
  StartDaemon({"--event_retention=1s", "--retention_interval=100ms"});
  ASSERT_EQ(RouteTo(MakeLead("old-1", "GB")).substr(0, 1), "r");
  {
    grpc::ClientContext context;
    v1::AcceptAssignmentRequest accept;
    accept.set_lead_id("old-1");
    v1::Assignment a;
    ASSERT_TRUE(assignments_->AcceptAssignment(&context, accept, &a).ok());
  }
  {
    grpc::ClientContext context;
    v1::CloseAssignmentRequest close;
    close.set_lead_id("old-1");
    close.set_outcome(v1::CLOSE_OUTCOME_WON);
    v1::Assignment a;
    ASSERT_TRUE(assignments_->CloseAssignment(&context, close, &a).ok());
  }
  ASSERT_EQ(RouteTo(MakeLead("open-1", "GB")).substr(0, 1), "r");

  grpc::Status refused;
  for (int i = 0; i < 600; ++i) {
    grpc::ClientContext context;
    v1::WatchAssignmentsRequest request;
    request.set_cursor("1");
    auto reader = Watch(&context, request);
    v1::AssignmentEvent event;
    if (!reader->Read(&event)) {
      refused = reader->Finish();
      // Every event up to open-1's (the 4th) passes the window in time.
      if (refused.error_code() == grpc::StatusCode::OUT_OF_RANGE &&
          absl::StrContains(refused.error_message(), "served is \"4\"")) {
        break;
      }
    } else {
      context.TryCancel();
      reader->Finish().IgnoreError();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << refused.error_message();
  EXPECT_THAT(refused.error_message(),
              HasSubstr("oldest cursor still served is \"4\""));

  // After a restart with a long window (nothing new is pruned while the
  // test reads), the floor is still there, and from_start begins at it.
  daemon_->Terminate();
  StartDaemon({"--event_retention=1h", "--retention_interval=100ms"});
  RouteTo(MakeLead("new-1", "GB"));
  {
    grpc::ClientContext context;
    v1::WatchAssignmentsRequest request;
    request.set_from_start(true);
    auto reader = Watch(&context, request);
    v1::AssignmentEvent event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.lead_id(), "new-1");
    EXPECT_EQ(event.cursor(), "5");
    context.TryCancel();
    reader->Finish().IgnoreError();
  }
  v1::Assignment open;
  ASSERT_TRUE(Get("open-1", &open).ok());
  EXPECT_EQ(open.history_size(), 1);
  v1::Assignment closed;
  ASSERT_TRUE(Get("old-1", &closed).ok());
  EXPECT_EQ(closed.history_size(), 0);
}

TEST(RetentionFlags, OutOfRangeValuesAreRefusedAtStart) {
  const std::string dir = MakeTempDir("retention-flags");
  WriteFile(dir + "/routing.yaml", kServiceTestConfig);
  for (const std::string& flag :
       {std::string("--event_retention=-5s"),
        std::string("--closed_lead_retention=5000d"),
        std::string("--event_retention=soon")}) {
    std::string log;
    EXPECT_EQ(DaemonProcess::RunToExit({"--config=" + dir + "/routing.yaml",
                                        "--data_dir=" + dir + "/data",
                                        "--listen=127.0.0.1:0", flag},
                                       &log),
              2)
        << flag;
    EXPECT_THAT(log, HasSubstr(flag.substr(2, flag.find('=') - 2))) << log;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/data"));
}

}  // namespace
}  // namespace leadrouter::testing

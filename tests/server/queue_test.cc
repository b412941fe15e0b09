// Waiting queues in the running service: leads nobody can take wait durably,
// are visible per team, and are assigned by the service itself, best score
// first then longest waiting, when a rep becomes eligible (more capacity
// after a config change and restart).
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

class QueueTest : public DaemonTest {
 protected:
  grpc::Status Queues(v1::ListQueuesResponse* response,
                      const std::string& team = "") {
    grpc::ClientContext context;
    v1::ListQueuesRequest request;
    request.set_team_id(team);
    return assignments_->ListQueues(&context, request, response);
  }

  // Polls until the lead is ASSIGNED (the service's drain interval is short
  // in these tests); the last read assignment either way.
  // Polls until the lead is ASSIGNED or `limit` passes (a generous bound,
  // not a timing assertion).
  v1::Assignment AwaitAssigned(const std::string& lead_id,
                               absl::Duration limit = absl::Seconds(60)) {
    v1::Assignment a;
    const absl::Time until = absl::Now() + limit;
    do {
      EXPECT_TRUE(Get(lead_id, &a).ok());
      if (a.state() == v1::ASSIGNMENT_STATE_ASSIGNED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (absl::Now() < until);
    return a;
  }

  void Restart(const std::string& config) {
    // Closing the connection first spares the server's wait for an idle
    // client at shutdown.
    StopDaemon();
    WriteFile(config_path_, config);
    StartDaemon({"--queue_interval=100ms"});
  }
};

v1::Lead Scored(const std::string& id, int score) {
  v1::Lead lead = MakeLead(id, "DE");
  lead.set_score(score);
  return lead;
}

TEST_F(QueueTest, WaitingLeadsAreVisibleAndTakenBestScoreFirstThenOldest) {
  for (int i = 1; i <= 4; ++i) RouteTo(MakeLead(absl::StrCat("full-", i), "DE"));
  EXPECT_EQ(RouteTo(Scored("low", 30)), "queue:team/dach");
  EXPECT_EQ(RouteTo(Scored("hot-first", 90)), "queue:team/dach");
  EXPECT_EQ(RouteTo(Scored("hot-later", 90)), "queue:team/dach");
  v1::Lead mql = MakeLead("mql", "DE");
  mql.set_stage(v1::STAGE_MQL);
  EXPECT_EQ(RouteTo(mql), "queue:nurture");

  v1::ListQueuesResponse queues;
  ASSERT_TRUE(Queues(&queues).ok());
  ASSERT_EQ(queues.queues_size(), 2);
  EXPECT_EQ(queues.queues(0).queue(), "nurture");
  EXPECT_EQ(queues.queues(0).depth(), 1);
  EXPECT_EQ(queues.queues(1).queue(), "team/dach");
  EXPECT_EQ(queues.queues(1).team_id(), "dach");
  EXPECT_EQ(queues.queues(1).depth(), 3);
  EXPECT_GT(queues.queues(1).oldest_queued_at().seconds(), 0);
  ASSERT_TRUE(Queues(&queues, "dach").ok());
  EXPECT_EQ(queues.queues_size(), 1);

  // One more seat: anna's capacity goes from 2 to 3.
  Restart(absl::StrReplaceAll(kServiceTestConfig,
                              {{"{ id: anna, capacity: 2 }",
                                "{ id: anna, capacity: 3 }"}}));
  v1::Assignment hot = AwaitAssigned("hot-first");
  ASSERT_EQ(hot.state(), v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(hot.rep_id(), "anna");
  EXPECT_TRUE(hot.has_queued_at());  // the wait stays visible
  EXPECT_LE(hot.queued_at().seconds(), hot.routed_at().seconds());

  v1::Assignment later, low;
  ASSERT_TRUE(Get("hot-later", &later).ok());
  ASSERT_TRUE(Get("low", &low).ok());
  EXPECT_EQ(later.state(), v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(low.state(), v1::ASSIGNMENT_STATE_QUEUED);
  ASSERT_TRUE(Queues(&queues, "dach").ok());
  ASSERT_EQ(queues.queues_size(), 1);
  EXPECT_EQ(queues.queues(0).depth(), 2);

  // The new reservation is durable: after another restart anna is full (3)
  // and nothing else moves.
  Restart(absl::StrReplaceAll(kServiceTestConfig,
                              {{"{ id: anna, capacity: 2 }",
                                "{ id: anna, capacity: 3 }"}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(Get("hot-later", &later).ok());
  EXPECT_EQ(later.state(), v1::ASSIGNMENT_STATE_QUEUED);
  // A retry of a lead that left its queue returns where it is now.
  v1::RouteLeadResponse replay;
  ASSERT_TRUE(Route(Scored("hot-first", 90), &replay).ok());
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.assignment().rep_id(), "anna");
}

// A lead waiting for an absence to end is assigned when it ends: tested
// with the test's own clock in assignment_workflow_test
// (WorkflowTest.AQueuedLeadIsAssignedWhenTheAbsenceEnds, both stores), so
// no test here waits for a wall-clock window that a slow machine misses.

TEST_F(QueueTest, ListQueuesRefusesAnOversizedTeamId) {
  v1::ListQueuesResponse queues;
  grpc::Status status = Queues(&queues, std::string(65, 't'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("team_id:"));
}

}  // namespace
}  // namespace leadrouter::testing

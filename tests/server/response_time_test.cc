// Response times in the running service: a lead not accepted in time moves
// on by itself, and a deadline that passes while leadrouterd is down is
// acted on when it starts again.
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

// dach answers within 2s or the lead goes to ben; a second lapse escalates
// it to the nurture queue.
std::string WithResponseTime() {
  return absl::StrReplaceAll(
      kServiceTestConfig,
      {{"{ id: dach, members: [anna, ben] }",
        "{ id: dach, members: [anna, ben], response_sla: { accept_within: 2s, "
        "max_reroutes: 1, escalate_to: { queue: nurture } } }"}});
}

class ResponseTimeTest : public DaemonTest {
 protected:
  void Stop() {
    // Closing the connection first spares the server's wait for an idle
    // client at shutdown.
    StopDaemon();
  }

  // Polls until the lead's last event is `type`; the last read either way.
  v1::Assignment AwaitEvent(const std::string& lead_id,
                            v1::AssignmentEventType type) {
    v1::Assignment a;
    for (int i = 0; i < 150; ++i) {
      EXPECT_TRUE(Get(lead_id, &a).ok());
      if (a.history_size() > 0 &&
          a.history(a.history_size() - 1).type() == type) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return a;
  }
};

TEST_F(ResponseTimeTest, ALapseWhileTheServiceIsDownIsHandledAtStart) {
  Stop();
  WriteFile(config_path_, WithResponseTime());
  StartDaemon({"--sla_interval=100ms"});
  v1::RouteLeadResponse routed;
  ASSERT_TRUE(Route(MakeLead("slow-1", "DE"), &routed).ok());
  ASSERT_EQ(routed.assignment().rep_id(), "anna");
  ASSERT_TRUE(routed.assignment().has_respond_by());

  // The first lapse, with the service running: ben gets it.
  v1::Assignment moved =
      AwaitEvent("slow-1", v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED);
  ASSERT_EQ(moved.rep_id(), "ben") << moved.ShortDebugString();
  EXPECT_THAT(moved.history(moved.history_size() - 1).reason(),
              ::testing::HasSubstr("not accepted by anna within 2s"));

  // The second deadline passes while leadrouterd is down.
  Stop();
  const auto due = std::chrono::system_clock::time_point(
      std::chrono::seconds(moved.respond_by().seconds() + 1));
  std::this_thread::sleep_until(due);
  const int64_t restarted = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  StartDaemon({"--sla_interval=1h"});  // only the pass at start can act
  v1::Assignment escalated =
      AwaitEvent("slow-1", v1::ASSIGNMENT_EVENT_TYPE_ESCALATED);
  EXPECT_EQ(escalated.state(), v1::ASSIGNMENT_STATE_QUEUED)
      << escalated.ShortDebugString();
  EXPECT_EQ(escalated.queue(), "nurture");
  EXPECT_TRUE(escalated.escalated());
  EXPECT_THAT(escalated.declined_rep_ids(), ::testing::ElementsAre("anna", "ben"));
  // Acted on by the restarted process, not before the stop.
  EXPECT_GE(escalated.history(escalated.history_size() - 1).time().seconds(),
            restarted);
}

}  // namespace
}  // namespace leadrouter::testing

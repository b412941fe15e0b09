// RoutingAdmin against a real leadrouterd: an invalid config is refused whole
// and the running one stays; a valid one switches every route at one point,
// also under concurrent routing; SIGHUP re-reads the file with the same
// guarantees; ListReps shows the load.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/http_get.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

// The same org, but DACH leads go to the bulk team.
std::string DachToBulk() {
  return absl::StrReplaceAll(
      kServiceTestConfig,
      {{"target: { team: dach } }", "target: { team: bulk } }"}});
}

class AdminTest : public DaemonTest {
 protected:
  v1::GetConfigResponse Running() {
    grpc::ClientContext context;
    v1::GetConfigResponse response;
    EXPECT_TRUE(admin_->GetConfig(&context, {}, &response).ok());
    return response;
  }
  grpc::Status Apply(const std::string& yaml, bool validate_only,
                     v1::ApplyConfigResponse* response) {
    grpc::ClientContext context;
    v1::ApplyConfigRequest request;
    request.set_yaml(yaml);
    request.set_validate_only(validate_only);
    return admin_->ApplyConfig(&context, request, response);
  }
};

TEST_F(AdminTest, AnInvalidConfigIsRefusedWholeAndTheRunningOneStays) {
  const v1::GetConfigResponse before = Running();
  EXPECT_THAT(before.version(), ::testing::StartsWith("cfg-"));
  EXPECT_EQ(before.source(), "file");
  EXPECT_EQ(before.config().teams_size(), 2);

  const std::string broken = absl::StrReplaceAll(
      DachToBulk(), {{"{ id: anna, capacity: 2 }", "{ id: anna, capacity: -2 }"},
                     {"members: [anna, ben]", "members: [anna, bob]"}});
  v1::ApplyConfigResponse response;
  grpc::Status status = Apply(broken, false, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Every error, each with where it is.
  EXPECT_THAT(status.error_message(), HasSubstr("reps[0].capacity"));
  EXPECT_THAT(status.error_message(),
              HasSubstr("teams[0].members[1]: unknown rep \"bob\""));
  EXPECT_THAT(status.error_message(), HasSubstr("config.yaml:"));
  EXPECT_EQ(Running().version(), before.version());
  EXPECT_EQ(RouteTo(MakeLead("still-dach", "DE")), "anna");

  // Validate-only reports the version and changes nothing.
  ASSERT_TRUE(Apply(DachToBulk(), true, &response).ok());
  EXPECT_FALSE(response.applied());
  EXPECT_NE(response.version(), before.version());
  EXPECT_EQ(Running().version(), before.version());
}

TEST_F(AdminTest, UnderConcurrentRoutingEveryRouteUsesOneVersionAndTheSwitchIsImmediate) {
  const std::string old_version = Running().version();
  std::atomic<bool> stop = false;
  std::atomic<int> next = 0;
  std::vector<std::thread> routers;
  for (int t = 0; t < 4; ++t) {
    routers.emplace_back([&] {
      while (!stop) {
        v1::RouteLeadResponse response;
        Route(MakeLead("c-" + std::to_string(next++), "DE"), &response);
      }
    });
  }
  while (next < 40) std::this_thread::yield();
  v1::ApplyConfigResponse applied;
  ASSERT_TRUE(Apply(DachToBulk(), false, &applied).ok());
  ASSERT_TRUE(applied.applied());
  EXPECT_EQ(applied.previous_version(), old_version);
  const int routed_before_apply_returned = next;
  // Every route that starts now decides on the new version.
  v1::RouteLeadResponse after;
  ASSERT_TRUE(Route(MakeLead("after-apply", "DE"), &after).ok());
  EXPECT_EQ(after.assignment().config_version(), applied.version());
  EXPECT_EQ(after.assignment().team_id(), "bulk");
  while (next < routed_before_apply_returned + 40) std::this_thread::yield();
  stop = true;
  for (auto& r : routers) r.join();

  // Each stored decision is whole: the old version routed to dach (or its
  // queue), the new one to bulk; nothing in between.
  int old_count = 0, new_count = 0;
  for (int i = 0; i < next; ++i) {
    v1::Assignment a;
    ASSERT_TRUE(Get("c-" + std::to_string(i), &a).ok()) << i;
    if (a.config_version() == old_version) {
      ++old_count;
      EXPECT_EQ(a.trace().team_id(), "dach") << i;
    } else {
      ++new_count;
      EXPECT_EQ(a.config_version(), applied.version()) << i;
      EXPECT_EQ(a.team_id(), "bulk") << i;
    }
  }
  EXPECT_GT(old_count, 0);
  EXPECT_GT(new_count, 0);
  EXPECT_EQ(Running().source(), "apply");
}

TEST_F(AdminTest, SighupReReadsTheFileAndABrokenFileKeepsTheRunningConfig) {
  const std::string first = Running().version();
  WriteFile(config_path_, "reps: [ { id: x, capacity: 0 } ]\n");  // broken
  daemon_->SendHup();
  // The refusal is logged; routing goes on on the first version.
  for (int i = 0; i < 100 && daemon_->Log().find("config_reload_refused") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(daemon_->Log(), HasSubstr("config_reload_refused"));
  EXPECT_EQ(Running().version(), first);
  EXPECT_EQ(RouteTo(MakeLead("h-1", "DE")), "anna");

  WriteFile(config_path_, DachToBulk());
  daemon_->SendHup();
  v1::GetConfigResponse now;
  for (int i = 0; i < 100; ++i) {
    now = Running();
    if (now.version() != first) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(now.version(), first);
  EXPECT_EQ(now.source(), "sighup");
  v1::RouteLeadResponse routed;
  ASSERT_TRUE(Route(MakeLead("h-2", "DE"), &routed).ok());
  EXPECT_EQ(routed.assignment().team_id(), "bulk");
}

TEST_F(AdminTest, ListRepsShowsLoadCapsAndAvailability) {
  RouteTo(MakeLead("r-1", "DE"));  // anna
  RouteTo(MakeLead("r-2", "DE"));  // ben
  RouteTo(MakeLead("r-3", "DE"));  // anna: full
  grpc::ClientContext context;
  v1::ListRepsRequest request;
  request.set_team_id("dach");
  v1::ListRepsResponse reps;
  ASSERT_TRUE(admin_->ListReps(&context, request, &reps).ok());
  ASSERT_EQ(reps.reps_size(), 2);
  EXPECT_EQ(reps.reps(0).rep_id(), "anna");
  EXPECT_EQ(reps.reps(0).open_assignments(), 2);
  EXPECT_EQ(reps.reps(0).capacity(), 2);
  EXPECT_EQ(reps.reps(0).assigned_today(), 2);
  EXPECT_FALSE(reps.reps(0).available());
  EXPECT_THAT(reps.reps(0).team_ids(), ::testing::ElementsAre("dach"));
  EXPECT_EQ(reps.reps(1).open_assignments(), 1);
  EXPECT_TRUE(reps.reps(1).available());

  grpc::ClientContext unknown;
  request.set_team_id("nope");
  EXPECT_EQ(admin_->ListReps(&unknown, request, &reps).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminTest, ARepOverrideTakesEffectAtOnceAndSurvivesARestart) {
  const std::string first = Running().version();
  auto set = [&](v1::SetRepAvailabilityRequest request) {
    grpc::ClientContext context;
    v1::SetRepAvailabilityResponse response;
    grpc::Status status =
        admin_->SetRepAvailability(&context, request, &response);
    return std::make_pair(status, response);
  };
  v1::SetRepAvailabilityRequest off_sick;
  off_sick.set_rep_id("anna");
  off_sick.set_active(false);
  auto [status, response] = set(off_sick);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.override().active());
  EXPECT_NE(response.version(), first);
  v1::RouteLeadResponse routed;
  ASSERT_TRUE(Route(MakeLead("o-1", "DE"), &routed).ok());
  EXPECT_EQ(routed.assignment().rep_id(), "ben");
  for (const auto& c : routed.assignment().trace().candidates()) {
    if (c.rep_id() == "anna") {
      EXPECT_EQ(c.pass_over_reason(), v1::PASS_OVER_REASON_INACTIVE);
    }
  }
  ASSERT_EQ(Running().overrides_size(), 1);

  // Durable: a restart (same config file) keeps anna out.
  StopDaemon();
  StartDaemon();
  EXPECT_EQ(Running().version(), response.version());
  EXPECT_EQ(RouteTo(MakeLead("o-2", "DE")), "ben");

  v1::SetRepAvailabilityRequest back;
  back.set_rep_id("anna");
  back.set_clear(true);
  ASSERT_TRUE(set(back).first.ok());
  EXPECT_EQ(Running().version(), first);
  EXPECT_EQ(Running().overrides_size(), 0);
  EXPECT_EQ(RouteTo(MakeLead("o-3", "DE")), "anna");

  // Bad input names the field and changes nothing.
  v1::SetRepAvailabilityRequest unknown;
  unknown.set_rep_id("zed");
  unknown.set_active(false);
  EXPECT_EQ(set(unknown).first.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SetRepAvailabilityRequest negative;
  negative.set_rep_id("ben");
  negative.set_capacity(-1);
  auto refused = set(negative).first;
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), ::testing::StartsWith("capacity:"));
  EXPECT_EQ(Running().version(), first);
}

// An out-of-office window set through the API: days around today (a day of
// margin each side, so the wall clock never decides the outcome).
TEST_F(AdminTest, ADatedAbsenceKeepsARepOutDurablyUntilCleared) {
  const std::string first = Running().version();
  auto set = [&](const v1::SetRepAvailabilityRequest& request) {
    grpc::ClientContext context;
    v1::SetRepAvailabilityResponse response;
    grpc::Status status =
        admin_->SetRepAvailability(&context, request, &response);
    return std::make_pair(status, response);
  };
  const absl::Time now = absl::Now();
  auto day = [](absl::Time t) {
    return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
  };
  v1::SetRepAvailabilityRequest away;
  away.set_rep_id("anna");
  auto* absence = away.add_add_out_of_office();
  absence->set_start(day(now - absl::Hours(24)));
  absence->set_end(day(now + absl::Hours(24)));
  auto [status, response] = set(away);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.override().out_of_office_size(), 1);
  v1::RouteLeadResponse routed;
  ASSERT_TRUE(Route(MakeLead("ooo-1", "DE"), &routed).ok());
  EXPECT_EQ(routed.assignment().rep_id(), "ben");
  bool seen = false;
  for (const auto& c : routed.assignment().trace().candidates()) {
    if (c.rep_id() != "anna") continue;
    seen = true;
    EXPECT_EQ(c.pass_over_reason(), v1::PASS_OVER_REASON_OUT_OF_OFFICE);
  }
  EXPECT_TRUE(seen);

  // A bad window names its field and changes nothing.
  v1::SetRepAvailabilityRequest bad;
  bad.set_rep_id("anna");
  auto* inverted = bad.add_add_out_of_office();
  inverted->set_start("2027-01-03");
  inverted->set_end("2026-12-21");
  auto* garbled = bad.add_add_out_of_office();
  garbled->set_start("next week");
  garbled->set_end("2026-12-21");
  auto refused = set(bad).first;
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("add_out_of_office[0]: end"));
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("add_out_of_office[1].start"));
  EXPECT_EQ(Running().version(), response.version());

  // Durable: a restart keeps anna away.
  StopDaemon();
  StartDaemon();
  EXPECT_EQ(Running().version(), response.version());
  EXPECT_EQ(RouteTo(MakeLead("ooo-2", "DE")), "ben");

  // clear_out_of_office drops it: anna is back, the config runs as written.
  v1::SetRepAvailabilityRequest back;
  back.set_rep_id("anna");
  back.set_clear_out_of_office(true);
  auto [cleared, after] = set(back);
  ASSERT_TRUE(cleared.ok()) << cleared.error_message();
  EXPECT_EQ(after.override().out_of_office_size(), 0);
  EXPECT_EQ(Running().version(), first);
  EXPECT_EQ(Running().overrides_size(), 0);
  EXPECT_EQ(RouteTo(MakeLead("ooo-3", "DE")), "anna");
}

// Three DACH leads to a team of two: round robin gives anna two and ben
// one, a third of the leads each way off an equal share... by 1/6.
TEST_F(AdminTest, ListRepsAndTheMetricsShowEachTeamsFairness) {
  for (int i = 0; i < 3; ++i) RouteTo(MakeLead(absl::StrCat("fair-", i), "DE"));
  grpc::ClientContext context;
  v1::ListRepsRequest request;
  request.set_team_id("dach");
  v1::ListRepsResponse reps;
  ASSERT_TRUE(admin_->ListReps(&context, request, &reps).ok());
  EXPECT_EQ(reps.fairness_days(), 7);
  ASSERT_EQ(reps.teams_size(), 1);
  EXPECT_EQ(reps.teams(0).team_id(), "dach");
  EXPECT_EQ(reps.teams(0).leads(), 3);
  EXPECT_NEAR(reps.teams(0).max_deviation(), 1.0 / 6, 1e-9);
  EXPECT_EQ(reps.teams(0).most_deviating_rep_id(), "anna");
  ASSERT_EQ(reps.reps_size(), 2);
  ASSERT_EQ(reps.reps(0).shares_size(), 1);
  EXPECT_EQ(reps.reps(0).shares(0).leads(), 2);
  EXPECT_DOUBLE_EQ(reps.reps(0).shares(0).share(), 0.5);
  EXPECT_NEAR(reps.reps(0).shares(0).received(), 2.0 / 3, 1e-9);

  // The team-level gauge: no rep id in its labels.
  absl::StatusOr<std::string> metrics =
      HttpGet(daemon_->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, ::testing::HasSubstr(
                            "leadrouter_team_fairness_deviation{team=\"dach\"} 0.1666"));
  EXPECT_THAT(*metrics, ::testing::HasSubstr(
                            "leadrouter_team_fairness_deviation{team=\"bulk\"} 0"));

  grpc::ClientContext bad_context;
  request.set_fairness_days(366);
  const grpc::Status bad = admin_->ListReps(&bad_context, request, &reps);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), ::testing::StartsWith("fairness_days:"));
}

}  // namespace
}  // namespace leadrouter::testing

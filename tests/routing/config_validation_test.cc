// An invalid config is refused with every error listed, each at its field.
#include "routing/config_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/routing_table.h"
#include "tests/routing/test_config.h"

namespace leadrouter::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TestConfig;

auto ErrorAt(const std::string& path, const std::string& text) {
  return ::testing::AllOf(Field(&ConfigError::path, path),
                          Field(&ConfigError::message, HasSubstr(text)));
}

TEST(ConfigValidation, AcceptsTheTestOrg) {
  EXPECT_THAT(ValidateConfig(TestConfig()), IsEmpty());
}

TEST(ConfigValidation, ReportsUnknownReferencesAtTheirPath) {
  auto config = TestConfig();
  config.mutable_teams(0)->set_members(1, "nobody");
  config.mutable_rules(2)->mutable_target()->set_team("ghost");
  config.mutable_rules(2)->mutable_match()->set_territories(0, "mars");
  config.mutable_rules(3)->mutable_fallback()->set_queue("limbo");
  EXPECT_THAT(
      ValidateConfig(config),
      ElementsAre(ErrorAt("teams[0].members[1]", "unknown rep \"nobody\""),
                  ErrorAt("rules[2].match.territories[0]",
                          "unknown territory \"mars\""),
                  ErrorAt("rules[2].target.team", "unknown team \"ghost\""),
                  ErrorAt("rules[3].fallback.queue",
                          "unknown queue \"limbo\"")));
}

TEST(ConfigValidation, ReportsDuplicatesAndBadIds) {
  auto config = TestConfig();
  config.mutable_reps(1)->set_id("anna");
  config.mutable_territories(1)->set_id("has space");
  auto errors = ValidateConfig(config);
  EXPECT_THAT(errors, ::testing::Contains(ErrorAt(
                          "reps[1].id", "duplicate rep id \"anna\"")));
  EXPECT_THAT(errors, ::testing::Contains(
                          ErrorAt("territories[1].id", "not a valid id")));
}

TEST(ConfigValidation, ReportsBadCodesAndRanges) {
  auto config = TestConfig();
  config.mutable_territories(0)->set_countries(0, "XX");
  config.mutable_territories(1)->set_regions(0, "BY");
  auto* range = config.mutable_territories(0)->mutable_postal_areas(0)
                    ->mutable_ranges(0);
  range->set_first("99");
  range->set_last("01");
  EXPECT_THAT(
      ValidateConfig(config),
      ElementsAre(ErrorAt("territories[0].countries[0]", "\"XX\""),
                  ErrorAt("territories[0].postal_areas[0].ranges[0]",
                          "sorts after last"),
                  ErrorAt("territories[1].regions[0]", "\"BY\"")));
}

TEST(ConfigValidation, ReportsCapacityScoreStageAndMissingTarget) {
  auto config = TestConfig();
  config.mutable_reps(0)->set_capacity(0);
  auto* score = config.mutable_rules(1)->mutable_match()->mutable_score();
  score->set_min(90);
  score->set_max(10);
  config.mutable_rules(0)->mutable_match()->set_stages(
      0, leadrouter::v1::STAGE_UNSPECIFIED);
  config.mutable_rules(4)->clear_target();
  EXPECT_THAT(ValidateConfig(config),
              ElementsAre(ErrorAt("reps[0].capacity", "outside 1 to"),
                          ErrorAt("rules[0].match.stages[0]", "mql or sql"),
                          ErrorAt("rules[1].match.score", "min 90 is above"),
                          ErrorAt("rules[4].target", "needs one of")));
}

TEST(ConfigValidation, RefusesEmptyRulesAndReservedQueue) {
  auto config = TestConfig();
  config.clear_rules();
  config.add_queues()->set_id("unmatched");
  EXPECT_THAT(ValidateConfig(config),
              ElementsAre(ErrorAt("queues[1].id", "reserved"),
                          ErrorAt("rules", "at least one rule")));
}

TEST(ConfigValidation, ReportsBadStrategySettingsCapsAndSkills) {
  auto config = TestConfig();
  auto* team = config.mutable_teams(0);  // dach: anna, ben, carl
  (*team->mutable_weights())["anna"] = 2;  // round robin has no weights
  team->set_catch_up_limit(-1);
  auto* weighted = config.mutable_teams(1);  // uk: dora, emil
  weighted->set_strategy(leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN);
  (*weighted->mutable_weights())["dora"] = 0;
  (*weighted->mutable_weights())["zed"] = 3;
  config.mutable_reps(0)->set_daily_cap(-2);
  config.mutable_reps(1)->add_products("");
  config.mutable_reps(2)->set_time_zone("Europe/Atlantis");
  EXPECT_THAT(
      ValidateConfig(config),
      ElementsAre(
          ErrorAt("reps[0].daily_cap", "-2 is outside 0 to 100000"),
          ErrorAt("reps[1].products[0]", "must be 1 to 64 bytes"),
          ErrorAt("reps[2].time_zone", "is not an IANA time zone"),
          ErrorAt("teams[0].weights", "only apply to strategy "
                                      "weighted_round_robin"),
          ErrorAt("teams[0].catch_up_limit", "-1 is outside 0 to 1000"),
          ErrorAt("teams[1].weights[zed]", "not a member of the team"),
          ErrorAt("teams[1].weights[dora]", "0 is outside 1 to 1000")));
}

TEST(ConfigValidation, ChecksResponseTimes) {
  auto config = TestConfig();
  auto* dach = config.mutable_teams(0)->mutable_response_sla();
  dach->set_accept_within("soon");
  dach->set_max_reroutes(11);
  auto* uk = config.mutable_teams(1)->mutable_response_sla();
  uk->set_accept_within("45d");
  uk->mutable_escalate_to()->set_team("dach");
  EXPECT_THAT(
      ValidateConfig(config),
      ElementsAre(
          ErrorAt("teams[0].response_sla.accept_within",
                  "\"soon\" is not a duration"),
          ErrorAt("teams[0].response_sla.max_reroutes",
                  "11 is outside 0 to 10"),
          ErrorAt("teams[0].response_sla.escalate_to", "is required"),
          ErrorAt("teams[1].response_sla.accept_within",
                  "outside 1s to 30 days"),
          ErrorAt("teams[1].response_sla.escalate_to.team",
                  "a named rep or queue, not a team")));

  dach->set_accept_within("2h");
  dach->set_max_reroutes(2);
  dach->mutable_escalate_to()->set_queue("nowhere");
  uk->set_accept_within("90s");
  uk->mutable_escalate_to()->set_rep("fay");
  EXPECT_THAT(ValidateConfig(config),
              ElementsAre(ErrorAt("teams[0].response_sla.escalate_to.queue",
                                  "unknown queue \"nowhere\"")));
  dach->mutable_escalate_to()->set_queue("nurture");
  EXPECT_THAT(ValidateConfig(config), IsEmpty());
}

TEST(RoutingTable, CreateListsEveryErrorInItsStatus) {
  auto config = TestConfig();
  config.mutable_reps(0)->set_capacity(-1);
  config.mutable_teams(1)->clear_members();
  auto table = RoutingTable::Create(config);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(table.status().message()),
              HasSubstr("reps[0].capacity: -1 is outside"));
  EXPECT_THAT(std::string(table.status().message()),
              HasSubstr("teams[1].members: is empty"));
}

TEST(ConfigVersion, IsStableAndFollowsContent) {
  auto a = TestConfig();
  auto b = TestConfig();
  EXPECT_EQ(ConfigVersion(a), ConfigVersion(b));
  EXPECT_THAT(ConfigVersion(a), ::testing::MatchesRegex("cfg-[0-9a-f]{16}"));
  b.mutable_reps(0)->set_capacity(3);
  EXPECT_NE(ConfigVersion(a), ConfigVersion(b));
}

}  // namespace
}  // namespace leadrouter::routing

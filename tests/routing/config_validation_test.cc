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

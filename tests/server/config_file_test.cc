// The YAML config loader: the example org loads; every broken file is
// refused with file, line and field named.
#include "server/config/config_file.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadrouter::server {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
reps:
  - { id: anna, capacity: 2 }
teams:
  - { id: sales, members: [anna] }
rules:
  - id: all
    target: { team: sales }
)";

std::string ErrorOf(const std::string& yaml) {
  auto config = ParseConfigYaml(yaml, "routing.yaml");
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ConfigFile, ExampleConfigLoadsAsARealisticOrg) {
  auto table = LoadRoutingTable(LEADROUTER_SOURCE_DIR
                                "/deploy/config/example.yaml");
  ASSERT_TRUE(table.ok()) << table.status();
  const auto& config = (*table)->config();
  EXPECT_EQ(config.reps_size(), 10);
  EXPECT_EQ(config.teams_size(), 3);
  EXPECT_GE(config.rules_size(), 4);
  EXPECT_EQ(config.rules(0).target().queue(), "nurture");
  EXPECT_EQ(config.rules(0).match().stages(0), leadrouter::v1::STAGE_MQL);
  EXPECT_EQ(config.teams(0).strategy(),
            leadrouter::v1::TEAM_STRATEGY_ROUND_ROBIN);
  EXPECT_EQ(config.territories(0).postal_areas(0).ranges(0).first(), "01");
  EXPECT_FALSE(config.rules().rbegin()->has_match());  // the fallback
}

TEST(ConfigFile, MinimalConfigLoads) {
  auto config = ParseConfigYaml(kMinimal, "routing.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->reps(0).capacity(), 2);
}

TEST(ConfigFile, MissingFileIsNotFound) {
  auto config = LoadConfigFile("/nonexistent/routing.yaml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("/nonexistent/routing.yaml"));
}

TEST(ConfigFile, YamlSyntaxErrorNamesLine) {
  EXPECT_THAT(ErrorOf("reps:\n  - { id: anna, capacity: 2\nteams: []\n"),
              HasSubstr("routing.yaml:3:"));
}

TEST(ConfigFile, UnknownKeyNamesLineAndField) {
  const std::string yaml = std::string(kMinimal) + "  - id: two\n    taget: { team: sales }\n";
  EXPECT_THAT(ErrorOf(yaml),
              HasSubstr("routing.yaml:10:5: rules[1].taget: unknown field "
                        "\"taget\" in Rule"));
}

TEST(ConfigFile, WrongTypeNamesLineAndField) {
  EXPECT_THAT(ErrorOf("reps:\n  - id: anna\n    capacity: lots\n"),
              HasSubstr("routing.yaml:3:15: reps[0].capacity: \"lots\" is not "
                        "a whole number"));
}

TEST(ConfigFile, UnknownEnumListsTheChoices) {
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("members"), 0, "strategy: random, ");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("teams[0].strategy: \"random\" is not "
                                       "one of: round_robin"));
}

TEST(ConfigFile, ReferenceErrorsPointAtTheirLines) {
  const std::string yaml = R"(
reps:
  - { id: anna, capacity: 2 }
teams:
  - { id: sales, members: [anna, bob] }
rules:
  - id: all
    match: { territories: [dach] }
    target: { team: sales }
)";
  const std::string error = ErrorOf(yaml);
  EXPECT_THAT(error, HasSubstr("has 2 errors"));
  EXPECT_THAT(error, HasSubstr("routing.yaml:5:34: teams[0].members[1]: "
                               "unknown rep \"bob\""));
  EXPECT_THAT(error, HasSubstr("routing.yaml:8:28: rules[0].match."
                               "territories[0]: unknown territory \"dach\""));
}

TEST(ConfigFile, EmptyFileNeedsRules) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("rules: needs at least one rule"));
}

}  // namespace
}  // namespace leadrouter::server

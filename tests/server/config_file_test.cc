// The YAML config loader: the example org loads; every broken file is
// refused with file, line and field named.
#include "server/config/config_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
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

namespace leadrouter::server {
namespace {

// A config file naming an accounts file next to it.
class AccountsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("accounts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    Write("routing.yaml", R"(
reps:
  - { id: anna, capacity: 2 }
  - { id: ben, capacity: 2 }
accounts:
  - { domain: initech.com, owner: ben }
accounts_file: accounts.csv
rules:
  - id: owned
    target: { account_owner: true }
    fallback: { rep: ben }
)");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path() const { return (dir_ / "routing.yaml").string(); }

  std::filesystem::path dir_;
};

TEST_F(AccountsFileTest, AccountsComeInlineAndFromTheFile) {
  Write("accounts.csv",
        "# domain,owner\nacme.com,anna\n\n  Globex.COM , anna \n");
  auto table = LoadRoutingTable(Path());
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->accounts().size(), 3u);
  EXPECT_EQ((*table)->accounts().Find("globex.com")->owner, "anna");
  EXPECT_EQ((*table)->accounts().Find("initech.com")->owner, "ben");
  // The accounts are part of the config now, and of its version.
  EXPECT_TRUE((*table)->config().accounts_file().empty());
  Write("accounts.csv", "acme.com,ben\n");
  auto changed = LoadRoutingTable(Path());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_NE((*changed)->version(), (*table)->version());
}

TEST_F(AccountsFileTest, ABadLineIsNamedWithItsNumber) {
  Write("accounts.csv", "acme.com,anna\nnot a domain,anna\nglobex.com,zed\n"
                        "three,fields,here\n");
  auto shape = LoadConfigFile(Path());
  ASSERT_FALSE(shape.ok());
  EXPECT_THAT(shape.status().message(),
              HasSubstr("accounts.csv:4: expected \"domain,owner\""));
  Write("accounts.csv", "acme.com,anna\nnot a domain,anna\nglobex.com,zed\n");
  auto config = LoadConfigFile(Path());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("accounts.csv:2: .domain \"not a domain\" is not a "
                        "lower-case domain name"));
  EXPECT_THAT(config.status().message(),
              HasSubstr("accounts.csv:3: .owner unknown rep \"zed\""));
}

TEST_F(AccountsFileTest, AMissingFileIsRefused) {
  auto config = LoadConfigFile(Path());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("accounts.csv: cannot be read"));
}

}  // namespace
}  // namespace leadrouter::server

// A team's fairness: each member's part of the team's leads against its
// weighted share, and the largest deviation.
#include "routing/fairness.h"

#include "gtest/gtest.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {
namespace {

std::shared_ptr<const RoutingTable> Table(leadrouter::v1::TeamStrategy strategy) {
  leadrouter::v1::RoutingConfig config;
  auto* team = config.add_teams();
  team->set_id("sales");
  team->set_strategy(strategy);
  for (const char* id : {"anna", "ben", "cem"}) {
    auto* rep = config.add_reps();
    rep->set_id(id);
    rep->set_capacity(100);
    team->add_members(id);
  }
  (*team->mutable_weights())["anna"] = 2;  // only weighted round robin uses it
  auto* rule = config.add_rules();
  rule->set_id("all");
  rule->mutable_target()->set_team("sales");
  if (strategy != leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN) {
    team->clear_weights();  // weights are for weighted round robin only
  }
  auto table = RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status().message();
  return *table;
}

TEST(FairnessTest, EqualSharesWithoutWeights) {
  auto table = Table(leadrouter::v1::TEAM_STRATEGY_ROUND_ROBIN);
  const TeamFairness f =
      Fairness(*table->FindTeam("sales"), {{"anna", 6}, {"ben", 3}, {"cem", 3},
                                           {"gone", 50}});  // not a member
  EXPECT_EQ(f.leads, 12);
  ASSERT_EQ(f.members.size(), 3u);
  EXPECT_DOUBLE_EQ(f.members[0].share, 1.0 / 3);
  EXPECT_DOUBLE_EQ(f.members[0].received, 0.5);
  EXPECT_DOUBLE_EQ(f.members[1].received, 0.25);
  EXPECT_NEAR(f.max_deviation, 0.5 - 1.0 / 3, 1e-12);
  EXPECT_EQ(f.most_deviating_rep, "anna");
}

TEST(FairnessTest, WeightedSharesFollowTheWeights) {
  auto table = Table(leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN);
  // anna weighs 2 of 4: getting half is exactly fair.
  TeamFairness f = Fairness(*table->FindTeam("sales"),
                            {{"anna", 10}, {"ben", 5}, {"cem", 5}});
  EXPECT_DOUBLE_EQ(f.members[0].share, 0.5);
  EXPECT_DOUBLE_EQ(f.max_deviation, 0);
  EXPECT_EQ(f.most_deviating_rep, "");
  f = Fairness(*table->FindTeam("sales"), {{"anna", 5}, {"ben", 10}, {"cem", 5}});
  EXPECT_DOUBLE_EQ(f.max_deviation, 0.25);  // anna 25% of 50%, ben 50% of 25%
  EXPECT_EQ(f.most_deviating_rep, "anna");
}

TEST(FairnessTest, NoLeadsMeansNoDeviation) {
  auto table = Table(leadrouter::v1::TEAM_STRATEGY_ROUND_ROBIN);
  const TeamFairness f = Fairness(*table->FindTeam("sales"), {});
  EXPECT_EQ(f.leads, 0);
  EXPECT_EQ(f.max_deviation, 0);
  EXPECT_EQ(f.members[2].received, 0);
}

TEST(FairnessTest, EveryTeamFromTheStoresCounts) {
  auto table = Table(leadrouter::v1::TEAM_STRATEGY_ROUND_ROBIN);
  const std::vector<TeamFairness> teams = TeamsFairness(
      *table, {{"sales", "anna", 2}, {"sales", "ben", 1}, {"gone", "x", 9}});
  ASSERT_EQ(teams.size(), 1u);  // teams of the config only
  EXPECT_EQ(teams[0].team_id, "sales");
  EXPECT_EQ(teams[0].leads, 3);
  EXPECT_NEAR(teams[0].max_deviation, 2.0 / 3 - 1.0 / 3, 1e-12);
}

}  // namespace
}  // namespace leadrouter::routing

// Where leads go: each rule criterion, first match wins, round robin among
// eligible reps, capacity, fallbacks, queues, and the trace that explains it.
#include "routing/decision.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/routing/test_config.h"

namespace leadrouter::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED;
using leadrouter::v1::ASSIGNMENT_STATE_QUEUED;
using leadrouter::v1::Lead;
using testing::SqlLead;
using testing::TestConfig;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

class DecisionTest : public ::testing::Test {
 protected:
  void SetUp() override { Load(TestConfig()); }

  void Load(const leadrouter::v1::RoutingConfig& config) {
    auto table = RoutingTable::Create(config);
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }

  // Decides and applies, as the store does for RouteLead.
  Decision Route(const Lead& lead) {
    Decision d = Decide(*table_, lead, state_, kNow);
    ApplyChanges(d.changes, &state_);
    return d;
  }

  std::string RuleFor(const Lead& lead) {
    return Decide(*table_, lead, state_, kNow).assignment.rule_id();
  }

  std::shared_ptr<const RoutingTable> table_;
  RoutingState state_;
};

TEST_F(DecisionTest, StageCriterion) {
  Lead lead = SqlLead("1", "AT");
  lead.set_stage(leadrouter::v1::STAGE_MQL);
  Decision d = Route(lead);
  EXPECT_EQ(d.assignment.rule_id(), "mql-nurture");
  EXPECT_EQ(d.assignment.state(), ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "nurture");
  EXPECT_TRUE(d.changes.open.empty());
}

TEST_F(DecisionTest, TerritoryByCountryRegionPostalPrefixAndRange) {
  EXPECT_EQ(RuleFor(SqlLead("1", "AT")), "dach-analytics");       // country
  EXPECT_EQ(RuleFor(SqlLead("2", "DE", "10115")), "dach-analytics");  // range
  Lead by_region = SqlLead("3", "DE");
  by_region.set_region_code("DE-BY");
  EXPECT_EQ(RuleFor(by_region), "dach-analytics");                // region
  Lead munich = SqlLead("4", "DE", "80331");
  munich.set_score(95);
  EXPECT_EQ(RuleFor(munich), "munich-vip");                      // prefix
  EXPECT_EQ(RuleFor(SqlLead("5", "FR")), "");                    // nowhere
}

TEST_F(DecisionTest, ScoreRangeCriterionIsInclusive) {
  Lead munich = SqlLead("1", "DE", "80331");
  munich.set_score(90);
  EXPECT_EQ(RuleFor(munich), "munich-vip");
  munich.set_score(89);
  EXPECT_EQ(RuleFor(munich), "dach-analytics");
  Lead low = SqlLead("2", "FR");
  low.set_score(20);
  EXPECT_EQ(RuleFor(low), "low-score");
  low.set_score(21);
  EXPECT_EQ(RuleFor(low), "");
}

TEST_F(DecisionTest, ProductInterestIsAnyOfAndCaseInsensitive) {
  Lead lead = SqlLead("1", "AT");
  lead.clear_product_interests();
  lead.add_product_interests("crm");
  EXPECT_EQ(RuleFor(lead), "");
  lead.add_product_interests("ANALYTICS");
  EXPECT_EQ(RuleFor(lead), "dach-analytics");
}

TEST_F(DecisionTest, FirstMatchingRuleWins) {
  // Matches both munich-vip and dach-analytics: the earlier one decides.
  Lead lead = SqlLead("1", "DE", "81000");
  lead.set_score(99);
  Decision d = Route(lead);
  EXPECT_EQ(d.assignment.rule_id(), "munich-vip");
  EXPECT_EQ(d.assignment.rep_id(), "fay");
  EXPECT_EQ(d.assignment.trace().rule_index(), 1);
}

TEST_F(DecisionTest, RoundRobinInMemberOrder) {
  std::vector<std::string> reps;
  for (int i = 0; i < 6; ++i) {
    reps.push_back(Route(SqlLead(std::to_string(i), "AT")).assignment.rep_id());
  }
  EXPECT_THAT(reps, ElementsAre("anna", "ben", "carl", "anna", "ben", "carl"));
}

TEST_F(DecisionTest, RoundRobinSkipsRepsAtCapacityAndRecordsWhy) {
  state_.SetOpenAssignments("ben", 2);  // ben's capacity is 2
  Route(SqlLead("1", "AT"));            // anna
  Decision d = Route(SqlLead("2", "AT"));
  EXPECT_EQ(d.assignment.rep_id(), "carl");
  const auto& candidates = d.assignment.trace().candidates();
  ASSERT_EQ(candidates.size(), 3);
  EXPECT_EQ(candidates[0].rep_id(), "ben");
  EXPECT_EQ(candidates[0].pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY);
  EXPECT_EQ(candidates[0].detail(), "at capacity (2 of 2 open)");
  EXPECT_EQ(candidates[1].rep_id(), "carl");
  EXPECT_TRUE(candidates[1].chosen());
  EXPECT_EQ(candidates[2].rep_id(), "anna");
  EXPECT_EQ(candidates[2].pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
  EXPECT_EQ(d.assignment.trace().strategy(), "ROUND_ROBIN");
  EXPECT_EQ(d.assignment.team_id(), "dach");
}

TEST_F(DecisionTest, CapacityIsNeverExceeded) {
  // The dach team holds 2 + 2 + 2 open leads; the 7th waits.
  std::map<std::string, int> per_rep;
  for (int i = 0; i < 6; ++i) {
    Decision d = Route(SqlLead(std::to_string(i), "CH"));
    ASSERT_EQ(d.assignment.state(), ASSIGNMENT_STATE_ASSIGNED);
    ++per_rep[d.assignment.rep_id()];
  }
  EXPECT_THAT(per_rep, ElementsAre(std::pair<const std::string, int>("anna", 2),
                                   std::pair<const std::string, int>("ben", 2),
                                   std::pair<const std::string, int>("carl", 2)));
  Decision d = Route(SqlLead("7", "CH"));
  EXPECT_EQ(d.assignment.state(), ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "team/dach");
  EXPECT_EQ(d.assignment.team_id(), "dach");
  EXPECT_TRUE(d.changes.open.empty());
  EXPECT_THAT(d.assignment.trace().summary(),
              HasSubstr("nobody eligible in team dach"));
  EXPECT_EQ(state_.OpenAssignments("anna"), 2);
}

TEST_F(DecisionTest, InactiveRepIsSkippedAndFallbackTakesOver) {
  // uk team: dora (capacity 1) and emil (inactive); fallback rep fay.
  Decision first = Route(SqlLead("1", "GB"));
  EXPECT_EQ(first.assignment.rep_id(), "dora");
  EXPECT_FALSE(first.assignment.trace().used_fallback());
  EXPECT_EQ(first.assignment.trace().candidates(1).pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_INACTIVE);

  Decision second = Route(SqlLead("2", "GB"));
  EXPECT_EQ(second.assignment.state(), ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(second.assignment.rep_id(), "fay");
  EXPECT_TRUE(second.assignment.trace().used_fallback());
  EXPECT_EQ(second.assignment.team_id(), "");  // the fallback rep decided
  EXPECT_TRUE(second.changes.rotation.empty());
  // Candidates: the team's two reps, then the fallback rep.
  EXPECT_EQ(second.assignment.trace().candidates_size(), 3);
}

TEST_F(DecisionTest, FallbackAlsoFullWaitsForThePrimaryTarget) {
  state_.SetOpenAssignments("dora", 1);
  state_.SetOpenAssignments("fay", 3);
  Decision d = Route(SqlLead("1", "GB"));
  EXPECT_EQ(d.assignment.state(), ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "team/uk");
  EXPECT_THAT(d.assignment.trace().summary(), HasSubstr("nor in the fallback"));
}

TEST_F(DecisionTest, NamedRepAtCapacityWaitsInTheRepQueue) {
  state_.SetOpenAssignments("fay", 3);
  Lead lead = SqlLead("1", "DE", "80331");
  lead.set_score(95);
  Decision d = Route(lead);
  EXPECT_EQ(d.assignment.state(), ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "rep/fay");
}

TEST_F(DecisionTest, NoMatchingRuleQueuesAsUnmatched) {
  Decision d = Route(SqlLead("1", "FR"));
  EXPECT_EQ(d.assignment.state(), ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(d.assignment.queue(), "unmatched");
  EXPECT_EQ(d.assignment.rule_id(), "");
  EXPECT_EQ(d.assignment.trace().rule_index(), -1);
}

TEST_F(DecisionTest, AssignmentCarriesVersionTimeAndSummary) {
  Decision d = Route(SqlLead("L-9", "AT"));
  EXPECT_EQ(d.assignment.lead_id(), "L-9");
  EXPECT_EQ(d.assignment.config_version(), table_->version());
  EXPECT_EQ(d.assignment.routed_at().seconds(), 1790000000);
  EXPECT_EQ(d.assignment.trace().summary(),
            "rule dach-analytics matched; team dach gave the lead to rep anna (by "
            "round robin)");
}

TEST_F(DecisionTest, RotationContinuesAfterLastRepWhenMembersChange) {
  Route(SqlLead("1", "AT"));  // anna
  Route(SqlLead("2", "AT"));  // ben
  auto config = TestConfig();
  // A new rep joins at the front; rotation goes on after ben, not from scratch.
  auto* rep = config.add_reps();
  rep->set_id("zoe");
  rep->set_capacity(2);
  auto* members = config.mutable_teams(0)->mutable_members();
  members->Add("zoe");
  std::rotate(members->rbegin(), members->rbegin() + 1, members->rend());
  Load(config);
  EXPECT_EQ(Route(SqlLead("3", "AT")).assignment.rep_id(), "carl");
  EXPECT_EQ(Route(SqlLead("4", "AT")).assignment.rep_id(), "zoe");

  // The last rep leaves the team: rotation starts at the first member.
  config.mutable_teams(0)->clear_members();
  config.mutable_teams(0)->add_members("ben");
  config.mutable_teams(0)->add_members("carl");
  Load(config);
  EXPECT_EQ(Route(SqlLead("5", "AT")).assignment.rep_id(), "ben");
}

TEST_F(DecisionTest, DecideAloneReservesNothing) {
  Decide(*table_, SqlLead("1", "AT"), state_, kNow);
  EXPECT_EQ(state_.OpenAssignments("anna"), 0);
  EXPECT_EQ(state_.LastAssigned("dach"), "");
}

}  // namespace
}  // namespace leadrouter::routing

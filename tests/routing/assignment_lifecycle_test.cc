// The lifecycle steps as pure functions: what each frees or keeps in the
// routing state (open load, company ownership), what a lead routed again
// carries over, and what erasure scrubs. The store-level behaviour (events,
// durability, drains) is tested in tests/server/assignment_workflow_test.cc.
#include "routing/assignment_lifecycle.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/routing/test_config.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Lead;
using ::testing::HasSubstr;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = RoutingTable::Create(testing::TestConfig());
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }

  // Routes a DACH lead of `company` and applies it, as the store does.
  Assignment Route(const std::string& id, const std::string& company) {
    Lead lead = testing::SqlLead(id, "AT");
    lead.set_company_domain(company);
    LeadChange c = Routed(Decide(*table_, lead, state_, now_));
    ApplyChanges(c.changes, &state_);
    return c.assignment;
  }

  Assignment CloseWon(const Assignment& a) {
    auto accepted = Accept(a, a.etag(), now_);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    auto closed = Close(*table_, accepted->assignment, state_, "",
                        leadrouter::v1::CLOSE_OUTCOME_WON, "", now_);
    EXPECT_TRUE(closed.ok()) << closed.status();
    ApplyChanges(closed->changes, &state_);
    return closed->assignment;
  }

  std::shared_ptr<const RoutingTable> table_;
  RoutingState state_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(LifecycleTest, ClosingTheLastOpenLeadOfACompanyEndsItsStickiness) {
  const Assignment first = Route("1", "acme.example");
  const Assignment second = Route("2", "acme.example");
  ASSERT_EQ(second.rep_id(), first.rep_id());  // same company, same rep
  EXPECT_TRUE(second.trace().same_company());

  CloseWon(first);
  // One acme lead is still open with that rep: the company still sticks.
  const Assignment third = Route("3", "acme.example");
  EXPECT_EQ(third.rep_id(), first.rep_id());
  EXPECT_EQ(state_.OpenAssignments(first.rep_id()), 2);

  CloseWon(second);
  CloseWon(third);
  EXPECT_EQ(state_.OpenAssignments(first.rep_id()), 0);
  EXPECT_EQ(state_.CompanyOwners("dach", "acme.example"), nullptr);
  EXPECT_FALSE(Route("4", "acme.example").trace().same_company());
}

TEST_F(LifecycleTest, ARejectedLeadFreesItsRepAndCarriesItsRecordOver) {
  const Assignment first = Route("1", "");
  Lead lead = testing::SqlLead("1", "AT");
  auto rejected = Reject(*table_, lead, first, state_, first.etag(),
                         "wrong product", now_ + absl::Minutes(5));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  const Assignment& a = rejected->assignment;
  EXPECT_NE(a.rep_id(), first.rep_id());
  EXPECT_EQ(a.etag(), "2");
  EXPECT_THAT(a.declined_rep_ids(), ::testing::ElementsAre(first.rep_id()));
  ASSERT_EQ(rejected->events.size(), 2u);
  EXPECT_EQ(rejected->events[0].note(), "wrong product");
  EXPECT_THAT(rejected->freed_queues,
              ::testing::ElementsAre("rep/" + first.rep_id(), "team/dach"));
  ApplyChanges(rejected->changes, &state_);
  EXPECT_EQ(state_.OpenAssignments(first.rep_id()), 0);
  EXPECT_EQ(state_.OpenAssignments(a.rep_id()), 1);
}

TEST_F(LifecycleTest, AWaitingLeadRoutedAgainKeepsWhenItStartedWaiting) {
  Lead lead = testing::SqlLead("1", "AT");
  Assignment stored;
  stored.set_lead_id("1");
  stored.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  stored.set_queue("team/dach");
  stored.set_etag("4");
  stored.mutable_queued_at()->set_seconds(1700000000);
  stored.add_declined_rep_ids("anna");
  LeadChange c = Rerouted(*table_, lead, stored, state_, now_);
  EXPECT_EQ(c.assignment.state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_NE(c.assignment.rep_id(), "anna");
  EXPECT_EQ(c.assignment.queued_at().seconds(), 1700000000);
  EXPECT_EQ(c.assignment.etag(), "5");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type(), leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED);
}

TEST_F(LifecycleTest, ATeamThatDroppedItsResponseTimeJustStopsTheClock) {
  Assignment a = Route("1", "");
  a.mutable_respond_by()->set_seconds(absl::ToUnixSeconds(now_));
  auto expired = ExpireResponseTime(*table_, testing::SqlLead("1", "AT"), a,
                                    state_, now_ + absl::Minutes(1));
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->assignment.rep_id(), a.rep_id());
  EXPECT_FALSE(expired->assignment.has_respond_by());
  EXPECT_TRUE(expired->events.empty());
  EXPECT_TRUE(expired->changes.open.empty());
  // Not yet due: nothing to do.
  EXPECT_FALSE(ExpireResponseTime(*table_, testing::SqlLead("1", "AT"), a,
                                  state_, now_ - absl::Minutes(1))
                   .has_value());
}

TEST_F(LifecycleTest, ErasureKeepsTheStatisticsAndScrubsThePerson) {
  Lead lead = testing::SqlLead("1", "AT");
  lead.set_email("greta@bakery.example");
  lead.set_full_name("Greta");
  lead.set_postal_code("1010");
  (*lead.mutable_attributes())["notes"] = "call after 5";
  LeadChange routed = Routed(Decide(*table_, lead, state_, now_));
  ApplyChanges(routed.changes, &state_);
  ASSERT_EQ(routed.assignment.trace().company_domain(), "bakery.example");

  auto erased = Erase(*table_, lead, routed.assignment, state_, now_);
  ASSERT_TRUE(erased.has_value());
  const Lead& kept = *erased->lead;
  EXPECT_EQ(kept.email(), "");
  EXPECT_EQ(kept.full_name(), "");
  EXPECT_EQ(kept.postal_code(), "");
  EXPECT_TRUE(kept.attributes().empty());
  EXPECT_EQ(kept.country_code(), "AT");
  EXPECT_EQ(kept.score(), 50);
  EXPECT_EQ(kept.product_interests_size(), 1);
  EXPECT_EQ(erased->scrubbed_domain, "bakery.example");
  EXPECT_EQ(erased->assignment.trace().company_domain(), "");
  EXPECT_FALSE(erased->assignment.Utf8DebugString().find("bakery") !=
               std::string::npos);
  ApplyChanges(erased->changes, &state_);
  EXPECT_EQ(state_.OpenAssignments(routed.assignment.rep_id()), 0);
  EXPECT_EQ(state_.CompanyOwners("dach", "bakery.example"), nullptr);
  EXPECT_FALSE(Erase(*table_, kept, erased->assignment, state_, now_)
                   .has_value());  // already erased

  leadrouter::v1::AssignmentEvent event;
  event.set_note("Greta said no");
  event.set_reason("owns an open lead of bakery.example");
  ScrubEvent("bakery.example", &event);
  EXPECT_EQ(event.note(), "");
  EXPECT_THAT(event.reason(), ::testing::Not(HasSubstr("bakery")));
}

}  // namespace
}  // namespace leadrouter::routing

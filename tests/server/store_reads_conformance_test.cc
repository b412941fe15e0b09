// The store reads behind fairness and the what-if simulator, run unchanged
// on both stores: leads per team member over a window, the stored leads of
// a window in arrival order with their first events, the seats held at a
// time, and the teams' newest events before a time.
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "tests/server/conformance_helpers.h"
#include "tests/server/store_under_test.h"

namespace leadrouter::server {
namespace {

class StoreReadsConformanceTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  // Two days ten days apart: leads come on one or the other.
  const absl::Time old = absl::FromUnixSeconds(1795000000);
  const absl::Time recent = old + absl::Hours(24 * 10);

  static absl::StatusOr<std::shared_ptr<const routing::RoutingTable>>
  TeamAndQueue() {
    leadrouter::v1::RoutingConfig config;
    if (!google::protobuf::TextFormat::ParseFromString(kTeamAndQueue,
                                                       &config)) {
      return absl::InternalError("kTeamAndQueue does not parse");
    }
    return routing::RoutingTable::Create(config);
  }
};
INSTANTIATE_TEST_SUITE_P(Stores, StoreReadsConformanceTest, AllStores(),
                         StoreName);

TEST_P(StoreReadsConformanceTest, LeadsByMemberCountsTheWindowPerTeamAndRep) {
  auto table = TeamAndQueue();
  ASSERT_TRUE(table.ok()) << table.status();
  StoreUnderTest where(GetParam(), "fairness");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  // 2 old leads, then 5 recent ones (a, b, a, b, a) and one in a named
  // queue, which belongs to no member.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(RouteNow(**store, **table, MakeLead(absl::StrCat("O", i), ""),
                         old)
                    .ok());
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RouteNow(**store, **table, MakeLead(absl::StrCat("N", i), ""),
                         recent)
                    .ok());
  }
  leadrouter::v1::Lead mql = MakeLead("M", "");
  mql.set_stage(leadrouter::v1::STAGE_MQL);
  ASSERT_TRUE(RouteNow(**store, **table, mql, recent).ok());

  auto counts =
      (*store)->LeadsByMember(absl::ToUnixMicros(recent - absl::Hours(24)));
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].team_id, "t");
  EXPECT_EQ((*counts)[0].rep_id, "a");
  EXPECT_EQ((*counts)[0].leads, 3);
  EXPECT_EQ((*counts)[1].rep_id, "b");
  EXPECT_EQ((*counts)[1].leads, 2);
  auto all = (*store)->LeadsByMember(0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].leads + (*all)[1].leads, 7);
  auto none =
      (*store)->LeadsByMember(absl::ToUnixMicros(recent + absl::Seconds(1)));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  (*store)->Close();
}

// Rejects the lead's assignment and routes it again, as the workflow does.
absl::StatusOr<RouteOutcome> RejectNow(AssignmentStore& store,
                                       const routing::RoutingTable& table,
                                       const std::string& lead_id,
                                       absl::Time now) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Change(
      lead_id,
      [&](const leadrouter::v1::Lead& lead,
          const leadrouter::v1::Assignment& stored,
          const routing::RoutingState& s)
          -> absl::StatusOr<std::optional<routing::LeadChange>> {
        auto c = routing::Reject(table, lead, stored, s, "", "", now);
        if (!c.ok()) return c.status();
        return std::optional<routing::LeadChange>(*std::move(c));
      },
      [&](const leadrouter::v1::Lead& lead,
          const leadrouter::v1::Assignment& stored,
          const routing::RoutingState& s) {
        return routing::Rerouted(table, lead, stored, s, now);
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

// Runs `step` on the stored lead, as the workflow does (waiting leads that
// it frees a seat for are routed again on `table`).
absl::StatusOr<RouteOutcome> ChangeNow(
    AssignmentStore& store, const routing::RoutingTable& table,
    const std::string& lead_id,
    std::function<absl::StatusOr<routing::LeadChange>(
        const leadrouter::v1::Assignment&, const routing::RoutingState&)>
        step) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Change(
      lead_id,
      [&](const leadrouter::v1::Lead&, const leadrouter::v1::Assignment& stored,
          const routing::RoutingState& s)
          -> absl::StatusOr<std::optional<routing::LeadChange>> {
        auto c = step(stored, s);
        if (!c.ok()) return c.status();
        return std::optional<routing::LeadChange>(*std::move(c));
      },
      [&](const leadrouter::v1::Lead& lead,
          const leadrouter::v1::Assignment& stored,
          const routing::RoutingState& s) {
        return routing::Rerouted(table, lead, stored, s, absl::Now());
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

std::vector<std::string> Ids(const ReplayPage& page) {
  std::vector<std::string> ids;
  for (const routing::PastLead& p : page.leads) ids.push_back(p.lead.id());
  return ids;
}

TEST_P(StoreReadsConformanceTest, ReplayLeadsGivesLeadsInArrivalOrderWithFirstEvents) {
  auto table = TeamAndQueue();
  ASSERT_TRUE(table.ok()) << table.status();
  StoreUnderTest where(GetParam(), "replay");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(RouteNow(**store, **table, MakeLead("O0", "old.example"), old)
                  .ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(RouteNow(**store, **table,
                         MakeLead(absl::StrCat("N", i), "acme.example"), recent)
                    .ok());
  }
  leadrouter::v1::Lead mql = MakeLead("M", "");
  mql.set_stage(leadrouter::v1::STAGE_MQL);
  ASSERT_TRUE(RouteNow(**store, **table, mql, recent).ok());
  // N1 went to b, who holds acme's open leads; rejected, it moves to a.
  auto rejected = RejectNow(**store, **table, "N1", recent + absl::Minutes(1));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  ASSERT_EQ(rejected->assignment.rep_id(), "a");

  ReplayQuery window;
  window.arrived_from_us = absl::ToUnixMicros(recent);
  auto page = (*store)->ReplayLeads(window);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"N0", "N1", "N2", "M"}));
  EXPECT_FALSE(page->more);
  const routing::PastLead& n1 = page->leads[1];
  EXPECT_EQ(n1.lead.company_domain(), "acme.example");
  EXPECT_EQ(n1.stored.rep_id(), "a");  // the record as it stands
  EXPECT_EQ(n1.first_event.type(), leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED);
  EXPECT_EQ(n1.first_event.rep_id(), "b");  // where it went on arrival
  EXPECT_EQ(routing::StoredPlacement(n1).rep_id(), "b");
  const routing::PastLead& m = page->leads[3];
  EXPECT_EQ(m.first_event.type(), leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED);
  EXPECT_EQ(m.first_event.queue(), "q");
  EXPECT_EQ(m.stored.rule_id(), "queued");

  // Page by page.
  ReplayQuery first = window;
  first.limit = 3;
  auto p1 = (*store)->ReplayLeads(first);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(Ids(*p1), (std::vector<std::string>{"N0", "N1", "N2"}));
  EXPECT_TRUE(p1->more);
  ReplayQuery second = first;
  second.after_position = p1->last_position;
  auto p2 = (*store)->ReplayLeads(second);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(Ids(*p2), (std::vector<std::string>{"M"}));
  EXPECT_FALSE(p2->more);

  // By id (unknown ids are no error), still in arrival order.
  ReplayQuery by_id;
  by_id.lead_ids = {"M", "O0", "nobody"};
  auto ids = (*store)->ReplayLeads(by_id);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(Ids(*ids), (std::vector<std::string>{"O0", "M"}));
  // Before the recent ones.
  ReplayQuery before;
  before.arrived_until_us = absl::ToUnixMicros(recent);
  auto early = (*store)->ReplayLeads(before);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(Ids(*early), (std::vector<std::string>{"O0"}));

  // Where the teams stood before a time: events that left a lead with a
  // team's rep, newest first (M went to a named queue: no team, no rep).
  auto team_events = [&](absl::Time before, int limit) {
    auto events = (*store)->TeamEventsBefore(absl::ToUnixMicros(before), limit);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> out;
    if (!events.ok()) return out;
    for (const auto& e : *events) {
      out.push_back(absl::StrCat(e.lead_id(), ">", e.rep_id()));
    }
    return out;
  };
  EXPECT_EQ(team_events(recent, 10), (std::vector<std::string>{"O0>a"}));
  EXPECT_EQ(team_events(recent + absl::Seconds(30), 10),
            (std::vector<std::string>{"N2>b", "N1>b", "N0>b", "O0>a"}));
  EXPECT_EQ(team_events(recent + absl::Seconds(30), 2),
            (std::vector<std::string>{"N2>b", "N1>b"}));
  EXPECT_TRUE(team_events(old, 10).empty());

  // The seats held at a time: leads that arrived before it with a rep, not
  // closed by then. M waits in a queue: no rep holds it.
  const absl::Time closed_at = recent + absl::Minutes(2);
  ASSERT_TRUE(ChangeNow(**store, **table, "N2",
                        [&](const leadrouter::v1::Assignment& a,
                            const routing::RoutingState&) {
                          return routing::Accept(a, "", closed_at);
                        })
                  .ok());
  auto closed = ChangeNow(**store, **table, "N2",
                          [&](const leadrouter::v1::Assignment& a,
                              const routing::RoutingState& s) {
                            return routing::Close(
                                **table, a, s, "",
                                leadrouter::v1::CLOSE_OUTCOME_WON, "",
                                closed_at);
                          });
  ASSERT_TRUE(closed.ok()) << closed.status();
  auto held = [&](absl::Time at) {
    ReplayQuery query;
    query.held_at_us = absl::ToUnixMicros(at);
    auto page = (*store)->ReplayLeads(query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? Ids(*page) : std::vector<std::string>{};
  };
  EXPECT_EQ(held(recent), (std::vector<std::string>{"O0"}));
  EXPECT_EQ(held(recent + absl::Minutes(1)),
            (std::vector<std::string>{"O0", "N0", "N1", "N2"}));
  EXPECT_EQ(held(recent + absl::Minutes(3)),
            (std::vector<std::string>{"O0", "N0", "N1"}));
  (*store)->Close();
}

}  // namespace
}  // namespace leadrouter::server

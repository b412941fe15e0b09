// The store contract, run unchanged on both stores (the embedded SQLite
// store and the PostgreSQL store): every part of the routing state survives
// a reopen, routes are decided once, drains are bounded and take queues in
// turn, the change stream's cursors have no hole, and the audit trail and
// config history behave the same. The reads behind fairness and the
// simulator are in store_reads_conformance_test.cc.
#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
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

class StoreConformanceTest : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, StoreConformanceTest, AllStores(), StoreName);

TEST_P(StoreConformanceTest, EveryPartOfTheRoutingStateSurvivesAReopen) {
  leadrouter::v1::RoutingConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        reps { id: "a" capacity: 50 daily_cap: 40 time_zone: "Asia/Tokyo" }
        reps { id: "b" capacity: 50 }
        reps {
          id: "c"
          capacity: 50
          out_of_office { start: "2026-11-01" end: "2026-11-30" }
        }
        teams {
          id: "t"
          strategy: TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN
          members: [ "a", "b", "c" ]
          weights { key: "a" value: 3 }
          catch_up_limit: 5
        }
        rules {
          id: "all"
          target { team: "t" }
        }
      )pb",
      &config));
  auto table = routing::RoutingTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  const absl::Time now = absl::FromUnixSeconds(1795000000);  // Nov 2026

  StoreUnderTest where(GetParam(), "state");
  routing::RoutingState before;
  {
    auto store = where.Open();
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 7; ++i) {
      auto outcome = RouteNow(
          **store, **table,
          MakeLead(absl::StrCat("L", i), i < 3 ? "acme.com" : ""), now);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
    }
    before = (*store)->Snapshot();
  }
  auto reopened = where.Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const routing::RoutingState after = (*reopened)->Snapshot();

  // The facts the next decision depends on are all there.
  EXPECT_EQ(after.open_assignments(), before.open_assignments());
  EXPECT_EQ(after.LastAssigned("t"), before.LastAssigned("t"));
  for (const char* rep : {"a", "b", "c"}) {
    EXPECT_EQ(after.Credit("t", rep), before.Credit("t", rep)) << rep;
    const int64_t day = (*table)->FindRep(rep)->availability.LocalDay(now);
    EXPECT_EQ(after.AssignedOnDay(rep, day), before.AssignedOnDay(rep, day));
    EXPECT_EQ(after.Away("t", rep).away, before.Away("t", rep).away);
    EXPECT_EQ(after.Away("t", rep).owed, before.Away("t", rep).owed);
  }
  EXPECT_TRUE(after.Away("t", "c").away);
  EXPECT_EQ(after.Away("t", "c").owed, 5);  // 7 leads while away, limit 5
  ASSERT_NE(after.CompanyOwners("t", "acme.com"), nullptr);
  EXPECT_EQ(*after.CompanyOwners("t", "acme.com"),
            *before.CompanyOwners("t", "acme.com"));
  EXPECT_EQ(after.CompanyOwners("t", "acme.com")->at(0).second, 3);
  // And the same next decision follows.
  const leadrouter::v1::Lead next = MakeLead("next", "");
  EXPECT_EQ(routing::Decide(**table, next, after, now).assignment.rep_id(),
            routing::Decide(**table, next, before, now).assignment.rep_id());
}

// Routing waits while a drain pass holds the store, so a pass is bounded;
// the next pass starts at the queue after the last one it served, so a big
// queue cannot keep a small one waiting.
TEST_P(StoreConformanceTest, DrainPassesAreBoundedAndTakeQueuesInTurn) {
  StoreUnderTest where(GetParam(), "drain");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto decision = [](const leadrouter::v1::Lead& lead, bool assign) {
    routing::LeadChange d;
    d.assignment.set_lead_id(lead.id());
    if (assign) {
      d.assignment.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
      d.assignment.set_rep_id("r");
    } else {
      d.assignment.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
      d.assignment.set_queue(lead.id().substr(0, 6));  // "team/a" or "team/b"
    }
    return d;
  };
  for (int i = 0; i < 610; ++i) {
    const leadrouter::v1::Lead lead =
        MakeLead(absl::StrCat(i < 600 ? "team/a-" : "team/b-", i), "");
    std::promise<void> stored;
    (*store)->Route(
        lead,
        [&](const leadrouter::v1::Lead& lead, const routing::RoutingState&) {
          return decision(lead, false);
        },
        [&](absl::StatusOr<RouteOutcome> outcome) {
          EXPECT_TRUE(outcome.ok());
          stored.set_value();
        });
    stored.get_future().wait();
  }
  std::vector<std::string> moved_from;
  auto assign_all = [&](const leadrouter::v1::Lead& lead,
                        const leadrouter::v1::Assignment&,
                        const routing::RoutingState&) {
    moved_from.push_back(lead.id().substr(0, 6));
    return decision(lead, true);
  };
  auto first = (*store)->DrainWaitingQueues(assign_all);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 512);
  EXPECT_EQ(std::count(moved_from.begin(), moved_from.end(), "team/b"), 0);
  moved_from.clear();
  // The next pass starts with team/b, then finishes team/a.
  auto second = (*store)->DrainWaitingQueues(assign_all);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 98);
  ASSERT_EQ(moved_from.size(), 98u);
  EXPECT_EQ(moved_from.front(), "team/b");
  EXPECT_EQ(moved_from.back(), "team/a");
  (*store)->Close();  // commits every move
  auto queues = (*store)->Queues();
  ASSERT_TRUE(queues.ok());
  EXPECT_TRUE(queues->empty());
  auto a = (*store)->Get("team/a-599");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
}

// One decision per lead id: a second route of the id while the first is
// being stored, and one after a restart, get the stored decision.
TEST_P(StoreConformanceTest, ALeadIdIsDecidedOnceAndReplayedAfterwards) {
  StoreUnderTest where(GetParam(), "replay");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  std::atomic<int> decided = 0;
  auto decide = [&decided](const leadrouter::v1::Lead&) {
    return [&decided](const leadrouter::v1::Lead& lead,
                      const routing::RoutingState& state) {
      ++decided;
      routing::LeadChange d;
      d.assignment.set_lead_id(lead.id());
      d.assignment.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
      d.assignment.set_rep_id("r");
      d.changes.open.push_back({"r", state.OpenAssignments("r") + 1});
      return d;
    };
  };
  const leadrouter::v1::Lead lead = MakeLead("same", "");
  std::promise<absl::StatusOr<RouteOutcome>> first, second;
  (*store)->Route(lead, decide(lead), [&](absl::StatusOr<RouteOutcome> o) {
    first.set_value(std::move(o));
  });
  (*store)->Route(lead, decide(lead), [&](absl::StatusOr<RouteOutcome> o) {
    second.set_value(std::move(o));
  });
  auto a = first.get_future().get();
  auto b = second.get_future().get();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(a->replayed);
  EXPECT_TRUE(b->replayed);
  EXPECT_EQ(decided.load(), 1);
  EXPECT_EQ((*store)->Snapshot().OpenAssignments("r"), 1);
  store->reset();
  auto reopened = where.Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  std::promise<absl::StatusOr<RouteOutcome>> third;
  (*reopened)->Route(lead, decide(lead), [&](absl::StatusOr<RouteOutcome> o) {
    third.set_value(std::move(o));
  });
  auto c = third.get_future().get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->replayed);
  EXPECT_EQ(c->assignment.rep_id(), "r");
  EXPECT_EQ(decided.load(), 1);
  EXPECT_EQ((*reopened)->Snapshot().OpenAssignments("r"), 1);
}

// The change stream's cursors count up from 1 with no hole, in the order
// the events were stored, and go on after a restart.
TEST_P(StoreConformanceTest, EventCursorsHaveNoHoleAndGoOnAfterARestart) {
  leadrouter::v1::RoutingConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        reps { id: "a" capacity: 100 }
        reps { id: "b" capacity: 100 }
        teams {
          id: "t"
          members: [ "a", "b" ]
        }
        rules {
          id: "all"
          target { team: "t" }
        }
      )pb",
      &config));
  auto table = routing::RoutingTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  StoreUnderTest where(GetParam(), "cursors");
  {
    auto store = where.Open();
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->LastEventCursor(), 0);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(
          RouteNow(**store, **table, MakeLead(absl::StrCat("C", i), ""), now)
              .ok());
    }
  }
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(
      RouteNow(**store, **table, MakeLead("after-restart", ""), now).ok());
  EventQuery all;
  all.limit = 1000;
  auto events = (*store)->Events(all);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_FALSE(events->empty());
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].cursor(), absl::StrCat(i + 1));
  }
  EXPECT_EQ(events->back().lead_id(), "after-restart");
  EXPECT_EQ((*store)->LastEventCursor(), static_cast<int64_t>(events->size()));
  // A cursor in the middle resumes right after it.
  EventQuery from_ten;
  from_ten.after = 10;
  auto rest = (*store)->Events(from_ten);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), events->size() - 10);
  EXPECT_EQ(rest->front().cursor(), "11");
}

leadrouter::v1::AuditEvent AuditAt(int64_t seconds, const std::string& who,
                                   const std::string& method) {
  leadrouter::v1::AuditEvent e;
  e.mutable_at()->set_seconds(seconds);
  e.set_principal(who);
  e.set_method(method);
  e.set_peer("ipv4:127.0.0.1:1");
  return e;
}

// The store contract for the audit trail: ids in order, newest first,
// every filter, pages by id, and durability across a reopen.
TEST_P(StoreConformanceTest, TheAuditTrailFiltersPagesAndSurvivesAReopen) {
  StoreUnderTest where(GetParam(), "audit");
  {
    auto store = where.Open();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->AppendAudit({AuditAt(100, "ops", "/a/Apply"),
                                   AuditAt(200, "crm", "/a/Get"),
                                   AuditAt(300, "ops", "/a/Get")})
                    .ok());
    (*store)->Close();
  }
  auto store = where.Open();
  ASSERT_TRUE(store.ok());
  auto all = (*store)->ListAudit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].at().seconds(), 300);  // newest first
  EXPECT_GT((*all)[0].id(), (*all)[1].id());
  EXPECT_EQ((*all)[2].peer(), "ipv4:127.0.0.1:1");

  AuditQuery by_principal;
  by_principal.principal = "ops";
  EXPECT_EQ((*store)->ListAudit(by_principal)->size(), 2u);
  AuditQuery by_method;
  by_method.method = "/a/Get";
  by_method.since_us = 250 * 1000000LL;
  auto recent = (*store)->ListAudit(by_method);
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].principal(), "ops");
  AuditQuery until;
  until.until_us = 200 * 1000000LL;  // exclusive
  EXPECT_EQ((*store)->ListAudit(until)->size(), 1u);
  AuditQuery page;
  page.limit = 2;
  auto first = (*store)->ListAudit(page);
  ASSERT_EQ(first->size(), 2u);
  page.before_id = first->back().id();
  auto second = (*store)->ListAudit(page);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].at().seconds(), 100);
  (*store)->Close();
}

TEST_P(StoreConformanceTest, AConfigVersionKeepsItsFirstRun) {
  StoreUnderTest where(GetParam(), "config_versions");
  auto store = where.Open();
  ASSERT_TRUE(store.ok());
  leadrouter::v1::GetConfigResponse first;
  first.set_version("cfg-1");
  first.set_source("file");
  first.mutable_loaded_at()->set_seconds(10);
  first.mutable_config()->add_reps()->set_id("anna");
  first.add_overrides()->set_rep_id("anna");
  ASSERT_TRUE((*store)->SaveConfigVersion(first).ok());
  leadrouter::v1::GetConfigResponse again = first;
  again.set_source("rollback");
  again.mutable_loaded_at()->set_seconds(99);
  ASSERT_TRUE((*store)->SaveConfigVersion(again).ok());
  auto kept = (*store)->ConfigVersion("cfg-1");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->source(), "file");
  EXPECT_EQ(kept->loaded_at().seconds(), 10);
  EXPECT_EQ(kept->config().reps(0).id(), "anna");
  EXPECT_EQ(kept->overrides_size(), 1);
  EXPECT_EQ((*store)->ConfigVersion("cfg-2").status().code(),
            absl::StatusCode::kNotFound);
  (*store)->Close();
}

TEST_P(StoreConformanceTest, RepOverridesWithAbsencesSurviveAReopen) {
  StoreUnderTest where(GetParam(), "rep_overrides");
  {
    auto store = where.Open();
    ASSERT_TRUE(store.ok()) << store.status();
    leadrouter::v1::RepOverride anna;
    anna.set_rep_id("anna");
    auto* away = anna.add_out_of_office();
    away->set_start("2026-12-21");
    away->set_end("2027-01-03");
    ASSERT_TRUE((*store)->SaveRepOverride(anna).ok());
    leadrouter::v1::RepOverride ben;
    ben.set_rep_id("ben");
    ben.set_capacity(3);
    ASSERT_TRUE((*store)->SaveRepOverride(ben).ok());
    leadrouter::v1::RepOverride ben_cleared;  // sets nothing: removed
    ben_cleared.set_rep_id("ben");
    ASSERT_TRUE((*store)->SaveRepOverride(ben_cleared).ok());
    (*store)->Close();
  }
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto overrides = (*store)->RepOverrides();
  ASSERT_TRUE(overrides.ok()) << overrides.status();
  ASSERT_EQ(overrides->size(), 1u);
  EXPECT_EQ((*overrides)[0].rep_id(), "anna");
  EXPECT_FALSE((*overrides)[0].has_active());
  ASSERT_EQ((*overrides)[0].out_of_office_size(), 1);
  EXPECT_EQ((*overrides)[0].out_of_office(0).start(), "2026-12-21");
  EXPECT_EQ((*overrides)[0].out_of_office(0).end(), "2027-01-03");
  (*store)->Close();
}

}  // namespace
}  // namespace leadrouter::server

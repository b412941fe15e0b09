// The embedded store in-process: a database written by the first release
// (schema 1) is upgraded in place with nothing lost, and every part of the
// routing state (loads, rotation, weighted credits, daily counts, company
// owners, the catch-up ledger) reads back the same after a reopen.
#include "server/store/sqlite_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "server/store/sqlite_db.h"

namespace leadrouter::server {
namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/sqlite_store_",
                                       name, "_", ::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

leadrouter::v1::Lead MakeLead(const std::string& id, const std::string& domain,
                              int score = 50) {
  leadrouter::v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(score);
  lead.set_company_domain(domain);
  return lead;
}

absl::StatusOr<RouteOutcome> RouteNow(AssignmentStore& store,
                                      const routing::RoutingTable& table,
                                      const leadrouter::v1::Lead& lead,
                                      absl::Time now) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Route(
      lead,
      [&](const routing::RoutingState& s) {
        return routing::Routed(routing::Decide(table, lead, s, now));
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

TEST(SqliteStoreTest, EveryPartOfTheRoutingStateSurvivesAReopen) {
  leadrouter::v1::RoutingConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    reps { id: "a" capacity: 50 daily_cap: 40 time_zone: "Asia/Tokyo" }
    reps { id: "b" capacity: 50 }
    reps { id: "c" capacity: 50 out_of_office { start: "2026-11-01"
                                                end: "2026-11-30" } }
    teams { id: "t" strategy: TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN
            members: [ "a", "b", "c" ] weights { key: "a" value: 3 }
            catch_up_limit: 5 }
    rules { id: "all" target { team: "t" } }
  )pb", &config));
  auto table = routing::RoutingTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  const absl::Time now = absl::FromUnixSeconds(1795000000);  // Nov 2026

  const std::string dir = TempDir("state");
  routing::RoutingState before;
  {
    auto store = SqliteStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 7; ++i) {
      auto outcome = RouteNow(**store, **table,
                              MakeLead(absl::StrCat("L", i),
                                       i < 3 ? "acme.com" : ""),
                              now);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
    }
    before = (*store)->Snapshot();
  }
  auto reopened = SqliteStore::Open(dir);
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

TEST(SqliteStoreTest, ADatabaseOfSchemaOneIsUpgradedWithNothingLost) {
  const std::string dir = TempDir("upgrade");
  std::filesystem::create_directories(dir);
  leadrouter::v1::Assignment queued;
  queued.set_lead_id("waiting");
  queued.set_state(leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  queued.set_queue("team/t");
  queued.set_team_id("t");
  leadrouter::v1::Assignment assigned;
  assigned.set_lead_id("done");
  assigned.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  assigned.set_rep_id("a");
  {
    // Exactly what release 1 created.
    auto db = SqliteDb::Open(dir + "/leadrouter.db");
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec(R"sql(
      CREATE TABLE assignments (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        lead_id TEXT NOT NULL UNIQUE, state INTEGER NOT NULL,
        rep_id TEXT NOT NULL, team_id TEXT NOT NULL, queue TEXT NOT NULL,
        routed_at_us INTEGER NOT NULL, assignment BLOB NOT NULL,
        lead BLOB NOT NULL);
      CREATE INDEX assignments_by_rep ON assignments(rep_id, position);
      CREATE INDEX assignments_by_team ON assignments(team_id, position);
      CREATE TABLE rep_load (rep_id TEXT PRIMARY KEY,
                             open_count INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE team_rotation (team_id TEXT PRIMARY KEY,
                                  last_rep_id TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO rep_load VALUES ('a', 1);
      INSERT INTO team_rotation VALUES ('t', 'a');
      PRAGMA user_version = 1;
    )sql").ok());
    auto insert = db->Prepare(
        "INSERT INTO assignments (lead_id, state, rep_id, team_id, queue, "
        "routed_at_us, assignment, lead) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, "
        "?7)");
    ASSERT_TRUE(insert.ok());
    for (const auto* a : {&assigned, &queued}) {
      insert->Reset();
      insert->BindText(1, a->lead_id());
      insert->BindInt64(2, a->state());
      insert->BindText(3, a->rep_id());
      insert->BindText(4, a->team_id());
      insert->BindText(5, a->queue());
      insert->BindBlob(6, a->SerializeAsString());
      insert->BindBlob(7, MakeLead(a->lead_id(), "", 77).SerializeAsString());
      ASSERT_TRUE(insert->Run().ok());
    }
  }
  {
    auto store = SqliteStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    auto got = (*store)->Get("done");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->rep_id(), "a");
    EXPECT_EQ((*store)->Snapshot().OpenAssignments("a"), 1);
    EXPECT_EQ((*store)->Snapshot().LastAssigned("t"), "a");
    auto queues = (*store)->Queues();
    ASSERT_TRUE(queues.ok());
    ASSERT_EQ(queues->size(), 1u);
    EXPECT_EQ((*queues)[0].queue, "team/t");
    // The waiting lead is offered again, with its score from the lead.
    int offered_score = -1;
    auto moved = (*store)->DrainWaitingQueues(
        [&](const leadrouter::v1::Lead& lead, const leadrouter::v1::Assignment&,
            const routing::RoutingState&) {
          offered_score = lead.score();
          routing::LeadChange d;
          d.assignment = queued;
          return d;  // still waiting
        });
    ASSERT_TRUE(moved.ok()) << moved.status();
    EXPECT_EQ(*moved, 0);
    EXPECT_EQ(offered_score, 77);
  }
  auto db = SqliteDb::Open(dir + "/leadrouter.db");
  ASSERT_TRUE(db.ok());
  auto q = db->Prepare("SELECT score FROM assignments WHERE lead_id = 'waiting'");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt64(0), 77);
  auto version = db->Prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok());
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->ColumnInt64(0), 4);
}

// Routing waits while a drain pass holds the store, so a pass is bounded;
// the next pass starts at the queue after the last one it served, so a big
// queue cannot keep a small one waiting.
TEST(SqliteStoreTest, DrainPassesAreBoundedAndTakeQueuesInTurn) {
  auto store = SqliteStore::Open(TempDir("drain"));
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
        [&](const routing::RoutingState&) { return decision(lead, false); },
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

}  // namespace
}  // namespace leadrouter::server

namespace leadrouter::server {
namespace {

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
TEST(SqliteStoreTest, TheAuditTrailFiltersPagesAndSurvivesAReopen) {
  const std::string dir = TempDir("audit");
  {
    auto store = SqliteStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->AppendAudit({AuditAt(100, "ops", "/a/Apply"),
                                   AuditAt(200, "crm", "/a/Get"),
                                   AuditAt(300, "ops", "/a/Get")})
                    .ok());
    (*store)->Close();
  }
  auto store = SqliteStore::Open(dir);
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

TEST(SqliteStoreTest, AConfigVersionKeepsItsFirstRun) {
  const std::string dir = TempDir("config_versions");
  auto store = SqliteStore::Open(dir);
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

}  // namespace
}  // namespace leadrouter::server

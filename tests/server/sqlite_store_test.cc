// What only the embedded store has: a database written by the first release
// (schema 1) is upgraded in place with nothing lost. The behaviour both
// stores share is tested in store_conformance_test.cc.
#include "server/store/sqlite_state.h"
#include "server/store/sqlite_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/store/sqlite_db.h"
#include "tests/server/conformance_helpers.h"

namespace leadrouter::server {
namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/sqlite_store_",
                                       name, "_", ::getpid());
  std::filesystem::remove_all(dir);
  return dir;
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
  EXPECT_EQ(version->ColumnInt64(0), kSqliteSchemaVersion);
}

}  // namespace
}  // namespace leadrouter::server

// Retention, backup and the bound on pending writes, on both real stores
// (part of the store conformance suite), in-process with a clock the test
// moves: closed leads go with their events after their time, open leads
// keep their whole history, the change stream refuses a cursor it no
// longer serves, pruning never touches routing state, the embedded store's
// disk stays flat under steady load with short windows, and a backup
// restores into a store that routes on as before.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/routing_table.h"
#include "server/api/assignment_workflow.h"
#include "server/api/commit_admission.h"
#include "server/api/lead_intake.h"
#include "server/config/current_table.h"
#include "server/store/sqlite_db.h"
#include "server/store/sqlite_store.h"
#include "tests/server/in_process.h"
#include "tests/server/store_under_test.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Lead;
using ::testing::HasSubstr;

constexpr char kConfig[] = R"pb(
  reps { id: "anna" capacity: 100000 }
  reps { id: "ben" capacity: 100000 }
  teams { id: "sales" members: [ "anna", "ben" ] }
  rules { id: "all" target { team: "sales" } }
)pb";

Lead MakeLead(const std::string& id) {
  Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_full_name("Erika Mustermann");
  lead.set_email(absl::StrCat("erika@", id, ".example.com"));
  return lead;
}

class RetentionTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    where_ = std::make_unique<StoreUnderTest>(
        GetParam(),
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto table = TableFromText(kConfig);
    ASSERT_NE(table, nullptr);
    current_ = std::make_unique<CurrentTable>(table);
    auto store = where_->Open();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    intake_ = std::make_unique<LeadIntake>(*current_, *store_,
                                           [this] { return now_; });
    workflow_ = std::make_unique<AssignmentWorkflow>(*current_, *store_,
                                                     [this] { return now_; });
  }

  absl::StatusOr<Assignment> Route(const std::string& id) {
    return AwaitAssignment(
        [&](RouteCallback cb) { intake_->Route(MakeLead(id), cb); });
  }
  // Routes, accepts and closes a lead: three changes, three events.
  void RouteAndClose(const std::string& id) {
    ASSERT_TRUE(Route(id).ok());
    ASSERT_TRUE(
        AwaitAssignment([&](RouteCallback cb) { workflow_->Accept(id, "", cb); }).ok());
    ASSERT_TRUE(AwaitAssignment([&](RouteCallback cb) {
                  workflow_->Close(id, "", leadrouter::v1::CLOSE_OUTCOME_WON,
                                   "signed", cb);
                }).ok());
  }
  // Prunes until nothing is left to prune; the totals.
  PruneResult PruneAll(const RetentionPolicy& policy, int limit = 7) {
    PruneResult total;
    for (int i = 0; i < 10000; ++i) {
      absl::StatusOr<PruneResult> r = store_->Prune(policy, now_, limit);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) break;
      total.events_deleted += r->events_deleted;
      total.leads_deleted += r->leads_deleted;
      if (!r->more) break;
    }
    return total;
  }
  std::vector<std::string> EventLeads(int64_t after) {
    EventQuery q;
    q.after = after;
    q.limit = 100000;
    auto events = store_->Events(q);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> ids;
    if (events.ok()) {
      for (const auto& e : *events) ids.push_back(e.lead_id());
    }
    return ids;
  }

  std::unique_ptr<StoreUnderTest> where_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  std::unique_ptr<CurrentTable> current_;
  std::unique_ptr<AssignmentStore> store_;
  std::unique_ptr<LeadIntake> intake_;
  std::unique_ptr<AssignmentWorkflow> workflow_;
};
INSTANTIATE_TEST_SUITE_P(Stores, RetentionTest, AllStores(), StoreName);

TEST_P(RetentionTest, ClosedLeadsGoWithTheirEventsAfterTheirTime) {
  RouteAndClose("old-closed");                          // closes at day 0
  ASSERT_TRUE(Route("old-open").ok());                  // stays open
  now_ += absl::Hours(24 * 10);
  RouteAndClose("new-closed");                          // closes at day 10
  now_ += absl::Hours(24);
  const int open_before = store_->Snapshot().OpenAssignments("anna") +
                          store_->Snapshot().OpenAssignments("ben");

  // Keep closed leads 5 days: only the one closed 11 days ago goes.
  const PruneResult pruned =
      PruneAll({.closed_leads = absl::Hours(24 * 5)}, /*limit=*/1);
  EXPECT_EQ(pruned.leads_deleted, 1);
  EXPECT_EQ(store_->Get("old-closed").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(EventLeads(0), (std::vector<std::string>{
                               "old-open", "new-closed", "new-closed",
                               "new-closed"}));
  absl::StatusOr<Assignment> open = store_->Get("old-open");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->history_size(), 1);
  absl::StatusOr<Assignment> kept = store_->Get("new-closed");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->history_size(), 3);
  EXPECT_GT(kept->trace().candidates_size(), 0);  // the trace, whole
  // Pruning changes no routing state: loads are as they were.
  EXPECT_EQ(store_->Snapshot().OpenAssignments("anna") +
                store_->Snapshot().OpenAssignments("ben"),
            open_before);
  // Nothing more to do, and a deleted id can be routed again as new.
  EXPECT_EQ(PruneAll({.closed_leads = absl::Hours(24 * 5)}).leads_deleted, 0);
  absl::StatusOr<Assignment> again = Route("old-closed");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
}

TEST_P(RetentionTest, TheStreamServesItsWindowAndOpenLeadsKeepTheirHistory) {
  RouteAndClose("c1");  // 3 events at day 0
  ASSERT_TRUE(Route("o1").ok());  // 1 event at day 0, open
  now_ += absl::Hours(24 * 40);
  RouteAndClose("c2");  // 3 events at day 40
  const int64_t head = store_->LastEventCursor();
  ASSERT_EQ(head, 7);
  absl::StatusOr<int64_t> oldest = store_->OldestCursor();
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 0);

  const PruneResult pruned =
      PruneAll({.events = absl::Hours(24 * 30)}, /*limit=*/2);
  EXPECT_EQ(pruned.events_deleted, 3);  // c1's; o1 is open
  EXPECT_EQ(pruned.leads_deleted, 0);
  oldest = store_->OldestCursor();
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 4);  // every event up to o1's is past the window

  // A cursor older than the window: OUT_OF_RANGE naming the oldest served.
  EventQuery q;
  q.after = 2;
  auto refused = store_->Events(q);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(refused.status().message(), HasSubstr("cursor: \"2\""));
  EXPECT_THAT(refused.status().message(), HasSubstr("\"4\""));
  // From the oldest served on, nothing is missing.
  EXPECT_EQ(EventLeads(4),
            (std::vector<std::string>{"c2", "c2", "c2"}));
  // The open lead keeps its whole history; the closed one is still there
  // (closed-lead retention is off) with what the window kept.
  absl::StatusOr<Assignment> open = store_->Get("o1");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->history_size(), 1);
  absl::StatusOr<Assignment> closed = store_->Get("c1");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state(), leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
  EXPECT_EQ(closed->history_size(), 0);

  // The floor survives a restart.
  workflow_.reset();
  intake_.reset();
  store_.reset();
  auto reopened = where_->Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  oldest = (*reopened)->OldestCursor();
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, 4);
  EXPECT_EQ((*reopened)->Events(q).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_P(RetentionTest, BackupIsAStoreThatRoutesOnOrIsRefusedOnTheSharedStore) {
  RouteAndClose("b1");
  ASSERT_TRUE(Route("b2").ok());
  const std::string file = testing::TempDir() + "/backup-" +
                           std::to_string(::getpid()) + "-" +
                           StoreName({GetParam(), 0}) + ".db";
  std::filesystem::remove(file);
  const absl::Status backup = store_->Backup(file);
  if (GetParam() == StoreKind::kPostgres) {
    EXPECT_EQ(backup.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(backup.message(), HasSubstr("pg_dump"));
    return;
  }
  ASSERT_TRUE(backup.ok()) << backup;
  EXPECT_EQ(store_->Backup(file).code(), absl::StatusCode::kAlreadyExists);
  const std::string dir = file + ".restored";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(SqliteStore::Restore(file, dir).ok());
  // A second restore into the same directory is refused, and changes it not.
  EXPECT_EQ(SqliteStore::Restore(file, dir).code(),
            absl::StatusCode::kFailedPrecondition);
  auto restored = SqliteStore::Open(dir);
  ASSERT_TRUE(restored.ok()) << restored.status();
  absl::StatusOr<Assignment> b1 = (*restored)->Get("b1");
  ASSERT_TRUE(b1.ok()) << b1.status();
  EXPECT_EQ(b1->history_size(), 3);
  EXPECT_EQ((*restored)->Snapshot().open_assignments(),
            store_->Snapshot().open_assignments());
  std::filesystem::remove_all(dir);
  std::filesystem::remove(file);
}

TEST(RestoreTest, AFileThatIsNotABackupChangesNothing) {
  const std::string base = testing::TempDir() + "/restore-bad-" +
                           std::to_string(::getpid());
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  const std::string junk = base + "/junk.db";
  {
    std::ofstream out(junk);
    out << "this is not a database, but it is long enough to look like one "
           "at a glance: "
        << std::string(4096, 'x');
  }
  const std::string dir = base + "/data";
  absl::Status s = SqliteStore::Restore(junk, dir);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(SqliteStore::Restore(base + "/missing.db", dir).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir));

  // A SQLite file that is not leadrouter's: refused too.
  {
    auto other = SqliteDb::Open(base + "/other.db");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->Exec("CREATE TABLE t (x INTEGER)").ok());
  }
  s = SqliteStore::Restore(base + "/other.db", dir);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("not a leadrouter backup"));
  EXPECT_FALSE(std::filesystem::exists(dir));

  // A leadrouter store from a newer release: refused, naming the versions.
  const std::string newer_dir = base + "/newer";
  {
    auto store = SqliteStore::Open(newer_dir);
    ASSERT_TRUE(store.ok());
  }
  {
    auto db = SqliteDb::Open(newer_dir + "/leadrouter.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 99").ok());
  }
  s = SqliteStore::Restore(newer_dir + "/leadrouter.db", dir);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("schema version 99"));
  EXPECT_FALSE(std::filesystem::exists(dir));
  std::filesystem::remove_all(base);
}

// Steady load with short windows (the clock is the test's): leads arrive
// and close every "minute",
// retention deletes what is older than ten minutes, and after the first
// windows the data directory stops growing.
TEST(RetentionDiskTest, DiskStaysFlatUnderSteadyLoad) {
  StoreUnderTest where(StoreKind::kSqlite, "flat");
  auto table = TableFromText(kConfig);
  ASSERT_NE(table, nullptr);
  CurrentTable current(table);
  auto store = where.Open();
  ASSERT_TRUE(store.ok());
  absl::Time now = absl::FromUnixSeconds(1800000000);
  LeadIntake intake(current, **store, [&] { return now; });
  AssignmentWorkflow workflow(current, **store, [&] { return now; });
  const RetentionPolicy policy{.events = absl::Minutes(10),
                               .closed_leads = absl::Minutes(10)};
  auto disk = [&] {
    uintmax_t bytes = 0;
    for (const auto& f : std::filesystem::directory_iterator(where.location())) {
      if (f.is_regular_file()) bytes += f.file_size();
    }
    return bytes;
  };
  std::vector<uintmax_t> sizes;
  // Runs `call(id, callback)` for every lead of the minute at once (one
  // group commit), and waits for all.
  auto all = [&](const std::vector<std::string>& ids, auto call) {
    std::vector<std::promise<absl::StatusOr<RouteOutcome>>> done(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      call(ids[i], [&done, i](absl::StatusOr<RouteOutcome> o) {
        done[i].set_value(std::move(o));
      });
    }
    for (auto& d : done) {
      absl::StatusOr<RouteOutcome> o = d.get_future().get();
      EXPECT_TRUE(o.ok()) << o.status();
    }
  };
  int id = 0;
  for (int minute = 0; minute < 40; ++minute) {
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) ids.push_back(absl::StrCat("flat-", id++));
    all(ids, [&](const std::string& lead, RouteCallback cb) {
      intake.Route(MakeLead(lead), cb);
    });
    all(ids, [&](const std::string& lead, RouteCallback cb) {
      workflow.Accept(lead, "", cb);
    });
    all(ids, [&](const std::string& lead, RouteCallback cb) {
      workflow.Close(lead, "", leadrouter::v1::CLOSE_OUTCOME_LOST,
                     std::string(200, 'n'), cb);
    });
    now += absl::Minutes(1);
    for (int pass = 0; pass < 1000; ++pass) {
      auto r = (*store)->Prune(policy, now, 256);
      ASSERT_TRUE(r.ok()) << r.status();
      if (!r->more) break;
    }
    sizes.push_back(disk());
  }
  // Ten minutes of leads are kept (500); the disk holds about that much
  // from then on, whatever has passed through (2,000 leads).
  const uintmax_t settled = sizes[14];
  std::cout << "disk after 5, 15, 40 min: " << sizes[4] << ", " << settled
            << ", " << sizes.back() << " bytes\n";
  EXPECT_LE(sizes.back(), settled + settled / 4)
      << "after 15 min " << settled << " bytes, after 40 min "
      << sizes.back();
  AssignmentQuery all_leads;
  all_leads.limit = 1000;
  auto page = (*store)->List(all_leads);
  ASSERT_TRUE(page.ok());
  EXPECT_LE(page->assignments.size(), 550u);
  EXPECT_GE(page->assignments.size(), 450u);
}

// More writers than the bound: the extra ones are refused at once with
// RESOURCE_EXHAUSTED and nothing of theirs is stored; once the queue has
// room, routes are admitted again.
TEST_P(RetentionTest, WritesBeyondThePendingBoundAreShedAndNothingIsStored) {
  CommitAdmission admission(2);
  LeadIntake bounded(*current_, *store_, [this] { return now_; }, nullptr,
                     &admission);
  // Hold two slots, as two routes waiting for their commit would.
  ASSERT_TRUE(admission.Enter().ok());
  ASSERT_TRUE(admission.Enter().ok());
  absl::StatusOr<Assignment> shed =
      AwaitAssignment([&](RouteCallback cb) { bounded.Route(MakeLead("shed-1"), cb); });
  ASSERT_EQ(shed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(shed.status().message(), HasSubstr("--max_pending_commits"));
  EXPECT_EQ(store_->Get("shed-1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(admission.shed(), 1);
  admission.Leave();
  absl::StatusOr<Assignment> admitted =
      AwaitAssignment([&](RouteCallback cb) { bounded.Route(MakeLead("shed-1"), cb); });
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admission.pending(), 1);  // its own slot went back at the answer
}

}  // namespace
}  // namespace leadrouter::server

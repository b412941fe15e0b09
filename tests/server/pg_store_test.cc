// The shared store on its own, on a real PostgreSQL: migrations run once
// when replicas start together and refuse a newer schema; the database
// refuses an over-capacity write itself; a NUL byte is refused, not cut
// short; a database restart turns routes UNAVAILABLE until it is back, with
// nothing acknowledged lost and reads healed; and commits whose outcome is
// unknown are UNAVAILABLE while retries decide once. (Several replicas:
// pg_replicas_test.cc; the contract both stores share:
// store_conformance_test.cc.)
#include "server/store/pg_store.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/store/pg_db.h"
#include "server/store/pg_schema.h"
#include "tests/server/pg_cluster.h"
#include "tests/server/pg_test_helpers.h"

namespace leadrouter::server {
namespace {

using pg_test::CapacityOf;
using pg_test::MakeLead;
using pg_test::OneRepTable;
using pg_test::OpenReplica;
using pg_test::QueryInt;
using pg_test::RouteNow;
using pg_test::Table;

TEST(PgStoreTest, MigrationsRunOnceWhenReplicasStartTogether) {
  auto uri = PgCluster::Shared().NewDatabase("migrate");
  ASSERT_TRUE(uri.ok()) << uri.status();
  std::vector<std::future<absl::StatusOr<int>>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(
        std::async(std::launch::async, [&] { return PgStore::Migrate(*uri); }));
  }
  int applied = 0;
  for (auto& run : runs) {
    absl::StatusOr<int> n = run.get();
    ASSERT_TRUE(n.ok()) << n.status();
    applied += *n;
  }
  EXPECT_EQ(applied, LatestPgSchemaVersion());
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM schema_migrations"),
            LatestPgSchemaVersion());
  // A database from a newer release is refused, not touched.
  auto db = PgConnection::Connect(*uri);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations (version, name) "
                       "VALUES (9999, '9999_future.sql')")
                  .ok());
  auto newer = PgStore::Open({.conninfo = *uri});
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer than this leadrouterd"),
            std::string::npos);
}

// libpq sends text up to its first NUL byte: the store refuses such a value
// instead of looking up a shorter one.
TEST(PgStoreTest, ATextValueWithANulByteIsRefusedNotCutShort) {
  auto uri = PgCluster::Shared().NewDatabase("nul");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = OneRepTable(10);
  auto store = OpenReplica(*uri);
  ASSERT_TRUE(
      RouteNow(*store, table, MakeLead("L1"), absl::FromUnixSeconds(1795000000))
          .ok());
  EXPECT_EQ(store->Get(std::string("L1\0x", 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EventQuery q;
  q.rep_id = std::string("a\0", 2);
  EXPECT_EQ(store->Events(q).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->Get("L1").ok());  // and the store goes on
}

// The capacity check is the database's: a replica whose decider would
// over-fill a rep (here a faulty one) has its whole batch refused.
TEST(PgStoreTest, TheDatabaseRefusesARepOverCapacity) {
  auto uri = PgCluster::Shared().NewDatabase("capacity");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto store = OpenReplica(*uri, [](const std::string&) { return 1; });
  ASSERT_NE(store, nullptr);
  auto blind = [](int count) {
    return [count](const leadrouter::v1::Lead& lead,
                   const routing::RoutingState&) {
      routing::LeadChange d;
      d.assignment.set_lead_id(lead.id());
      d.assignment.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
      d.assignment.set_rep_id("r");
      d.changes.open.push_back({"r", count});
      return d;
    };
  };
  for (int n : {1, 2}) {
    const leadrouter::v1::Lead lead = MakeLead(absl::StrCat("over-", n));
    std::promise<absl::StatusOr<RouteOutcome>> done;
    store->Route(lead, blind(n), [&](absl::StatusOr<RouteOutcome> o) {
      done.set_value(std::move(o));
    });
    absl::StatusOr<RouteOutcome> outcome = done.get_future().get();
    if (n == 1) {
      ASSERT_TRUE(outcome.ok()) << outcome.status();
    } else {
      EXPECT_EQ(outcome.status().code(), absl::StatusCode::kAborted);
      EXPECT_NE(outcome.status().message().find("rep_within_capacity"),
                std::string::npos)
          << outcome.status();
    }
  }
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments"), 1);
  EXPECT_EQ(QueryInt(*uri, "SELECT open_count FROM rep_load"), 1);
  // The refused batch left the store working, on the stored state.
  EXPECT_EQ(store->Snapshot().OpenAssignments("r"), 1);
  store->Close();
}

// PostgreSQL stopped with -m immediate and started again: meanwhile routes
// are UNAVAILABLE, afterwards the same store routes again by itself, and
// every route acknowledged before is there.
TEST(PgStoreTest, ADatabaseRestartIsUnavailableThenHealsByItself) {
  auto cluster = PgCluster::Start();  // its own: the others keep running
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto uri = (*cluster)->NewDatabase("restart");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = OneRepTable(1000);
  std::atomic<int> reach_changes = 0;
  auto opened = PgStore::Open({.conninfo = *uri,
                               .on_reach = [&](bool) { ++reach_changes; },
                               .poll_interval = absl::Milliseconds(100)});
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto& store = **opened;
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        RouteNow(store, table, MakeLead(absl::StrCat("B", i)), now).ok());
  }
  ASSERT_TRUE(store.Get("B0").ok());  // a reader connection, now pooled
  ASSERT_TRUE((*cluster)->Stop("immediate").ok());
  auto down = RouteNow(store, table, MakeLead("during"), now);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable)
      << down.status();
  ASSERT_TRUE((*cluster)->Restart().ok());
  // Back by itself: the next route reconnects.
  absl::StatusOr<RouteOutcome> again;
  for (int attempt = 0; attempt < 100; ++attempt) {
    again = RouteNow(store, table, MakeLead("after"), now);
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(again.ok()) << again.status();
  // The pooled reader broke with the restart: the first read retries on a
  // new connection instead of failing.
  for (int i = 0; i < 20; ++i) {
    auto a = store.Get(absl::StrCat("B", i));
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->rep_id(), "a");
  }
  EXPECT_EQ(store.Snapshot().OpenAssignments("a"), 21);  // not "during"
  store.Close();
  EXPECT_GE(reach_changes.load(), 1);  // told it lost the database
}

// The writer's connection is cut while routes are being committed: the
// routes whose outcome is unknown are answered UNAVAILABLE, and a retry of
// each gets the stored decision or makes the only one.
TEST(PgStoreTest,
     ACommitWithAnUnknownOutcomeIsUnavailableAndRetriesDecideOnce) {
  auto uri = PgCluster::Shared().NewDatabase("unknown_outcome");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 100000 }
    reps { id: "b" capacity: 100000 }
    teams {
      id: "t"
      members: [ "a", "b" ]
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
  auto store = OpenReplica(*uri);
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  std::atomic<bool> stop = false;
  std::thread cutter([&] {
    auto admin = PgConnection::Connect(*uri);
    ASSERT_TRUE(admin.ok());
    while (!stop.load()) {
      // Every leadrouterd session of this database (writer, readers,
      // listener), as a network cut would.
      admin
          ->Query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE application_name = 'leadrouterd' AND "
              "datname = current_database()")
          .IgnoreError();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  constexpr int kThreads = 8, kLeads = 60;
  std::mutex mu;
  std::map<std::string, std::vector<RouteOutcome>> answers;
  std::atomic<int> unavailable = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLeads; ++i) {
        const std::string id = absl::StrCat("U", t, "-", i);
        // Retry until answered (bounded).
        for (int attempt = 0; attempt < 200; ++attempt) {
          auto o = RouteNow(*store, table, MakeLead(id), now);
          if (o.ok()) {
            std::lock_guard lock(mu);
            answers[id].push_back(*o);
            break;
          }
          ASSERT_EQ(o.status().code(), absl::StatusCode::kUnavailable)
              << o.status();
          ++unavailable;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  cutter.join();
  EXPECT_GT(unavailable.load(), 0);  // the cuts did land
  ASSERT_EQ(answers.size(), static_cast<size_t>(kThreads * kLeads));
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments"),
            kThreads * kLeads);
  // One decision each: the answer is what is stored, the load is a recount.
  auto db = PgConnection::Connect(*uri);
  ASSERT_TRUE(db.ok());
  auto rows = db->Query("SELECT lead_id, rep_id FROM assignments");
  ASSERT_TRUE(rows.ok());
  for (int i = 0; i < rows->rows(); ++i) {
    EXPECT_EQ(answers[rows->Bytes(i, 0)].back().assignment.rep_id(),
              rows->Bytes(i, 1));
  }
  EXPECT_EQ(QueryInt(*uri,
                     "SELECT count(*) FROM (SELECT rep_id, count(*) AS n FROM "
                     "assignments GROUP BY rep_id) r JOIN rep_load l USING "
                     "(rep_id) WHERE r.n <> l.open_count"),
            0);
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM events"), kThreads * kLeads);
  store->Close();
}

}  // namespace
}  // namespace leadrouter::server

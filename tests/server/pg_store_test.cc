// What only the shared store has: several replicas (PgStore instances, each
// with its own connections, as separate processes would have) on one real
// PostgreSQL. Migrations run once when replicas start together; concurrent
// routes through three replicas never over-fill a rep, decide each lead id
// once, keep the weighted rotation within one lead of its share in commit
// order, and leave a gap-free event stream that a watcher on another replica
// follows exactly once; the database refuses an over-capacity write itself;
// and a database restart turns routes UNAVAILABLE until it is back, with
// nothing acknowledged lost.
#include "server/store/pg_store.h"

#include <atomic>
#include <cmath>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "server/store/pg_db.h"
#include "server/store/pg_schema.h"
#include "tests/server/pg_cluster.h"

namespace leadrouter::server {
namespace {

leadrouter::v1::Lead MakeLead(const std::string& id) {
  leadrouter::v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(50);
  return lead;
}

std::shared_ptr<const routing::RoutingTable> Table(const char* text) {
  leadrouter::v1::RoutingConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  auto table = routing::RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

PgStore::CapacityFn CapacityOf(std::shared_ptr<const routing::RoutingTable> t) {
  return [t](const std::string& rep) -> std::optional<int> {
    const routing::CompiledRep* r = t->FindRep(rep);
    if (r == nullptr) return std::nullopt;
    return r->rep->capacity();
  };
}

absl::StatusOr<RouteOutcome> RouteNow(AssignmentStore& store,
                                      std::shared_ptr<const routing::RoutingTable> table,
                                      const leadrouter::v1::Lead& lead,
                                      absl::Time now) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Route(
      lead,
      [table, lead, now](const routing::RoutingState& s) {
        return routing::Routed(routing::Decide(*table, lead, s, now));
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

std::unique_ptr<PgStore> OpenReplica(const std::string& uri,
                                     PgStore::CapacityFn capacity = nullptr) {
  auto store = PgStore::Open({.conninfo = uri, .capacity = std::move(capacity)});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

int64_t QueryInt(const std::string& uri, const std::string& sql) {
  auto db = PgConnection::Connect(uri);
  EXPECT_TRUE(db.ok()) << db.status();
  auto r = db->Query(sql);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->rows() > 0 ? r->Int(0, 0) : -1;
}

TEST(PgStoreTest, MigrationsRunOnceWhenReplicasStartTogether) {
  auto uri = PgCluster::Shared().NewDatabase("migrate");
  ASSERT_TRUE(uri.ok()) << uri.status();
  std::vector<std::future<absl::StatusOr<int>>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async,
                              [&] { return PgStore::Migrate(*uri); }));
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

// Three replicas, nine routing threads, a weighted team whose capacity runs
// out part-way, and one id in ten sent to two replicas at once.
TEST(PgStoreTest, ThreeReplicasHoldEveryInvariantTogether) {
  auto uri = PgCluster::Shared().NewDatabase("replicas");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 150 }
    reps { id: "b" capacity: 100 }
    reps { id: "c" capacity: 50 }
    teams { id: "t" strategy: TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN
            members: [ "a", "b", "c" ]
            weights { key: "a" value: 3 } weights { key: "b" value: 2 } }
    rules { id: "all" target { team: "t" } }
  )pb");
  std::vector<std::unique_ptr<PgStore>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(OpenReplica(*uri, CapacityOf(table)));
    ASSERT_NE(replicas.back(), nullptr);
  }
  const absl::Time now = absl::FromUnixSeconds(1795000000);

  // A watcher on replica 2 follows the stream while the others route.
  std::atomic<bool> routing_done = false;
  std::vector<std::string> watched;
  std::thread watcher([&] {
    EventQuery q;
    q.limit = 100;
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (std::chrono::steady_clock::now() < give_up) {
      const bool last_round = routing_done.load();
      auto events = replicas[2]->Events(q);
      ASSERT_TRUE(events.ok()) << events.status();
      for (const auto& e : *events) {
        watched.push_back(e.cursor());
        q.after = std::stoll(e.cursor());
      }
      if (events->empty()) {
        if (last_round) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });

  constexpr int kThreads = 9;
  constexpr int kLeadsPerThread = 40;
  std::mutex mu;
  std::map<std::string, std::vector<RouteOutcome>> answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto route = [&](const std::string& id) {
        auto outcome = RouteNow(*replicas[t % 3], table, MakeLead(id), now);
        ASSERT_TRUE(outcome.ok()) << outcome.status();
        std::lock_guard lock(mu);
        answers[id].push_back(*outcome);
      };
      for (int i = 0; i < kLeadsPerThread; ++i) {
        route(absl::StrCat("L", t * kLeadsPerThread + i));
        // One id in ten is also sent by the next thread, through another
        // replica, at about the same moment.
        if (i % 10 == 0) {
          route(absl::StrCat("L", ((t + 1) % kThreads) * kLeadsPerThread + i));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  routing_done = true;
  watcher.join();

  // One decision per lead: every answer for an id names the same rep and
  // queue, and exactly one of them was not a replay.
  int duplicates = 0;
  for (const auto& [id, outcomes] : answers) {
    int fresh = 0;
    for (const RouteOutcome& o : outcomes) {
      fresh += o.replayed ? 0 : 1;
      EXPECT_EQ(o.assignment.rep_id(), outcomes[0].assignment.rep_id()) << id;
      EXPECT_EQ(o.assignment.state(), outcomes[0].assignment.state()) << id;
    }
    EXPECT_EQ(fresh, 1) << id;
    if (outcomes.size() > 1) ++duplicates;
  }
  EXPECT_EQ(duplicates, kThreads * kLeadsPerThread / 10);
  const int64_t leads = static_cast<int64_t>(answers.size());
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments"), leads);

  // Nobody over capacity, and the stored loads equal a recount.
  EXPECT_EQ(QueryInt(*uri,
                     "SELECT count(*) FROM (SELECT rep_id, count(*) AS n FROM "
                     "assignments WHERE state = 1 GROUP BY rep_id) r JOIN "
                     "rep_load l USING (rep_id) WHERE r.n <> l.open_count"),
            0);
  for (const auto& [rep, cap] :
       std::map<std::string, int>{{"a", 150}, {"b", 100}, {"c", 50}}) {
    const int64_t open = QueryInt(
        *uri, absl::StrCat("SELECT count(*) FROM assignments WHERE state = 1 "
                           "AND rep_id = '", rep, "'"));
    EXPECT_LE(open, cap) << rep;
  }
  // 300 seats for 360 leads: the rest wait in the team's queue.
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments WHERE state = 1"),
            300);
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments WHERE state = 2"),
            leads - 300);

  // In commit order, every prefix of the rotation stays within one lead of
  // the weighted share (3:2:1 while all three have seats).
  auto db = PgConnection::Connect(*uri);
  ASSERT_TRUE(db.ok());
  auto order = db->Query(
      "SELECT rep_id FROM assignments WHERE state = 1 ORDER BY position");
  ASSERT_TRUE(order.ok()) << order.status();
  std::map<std::string, int> got;
  const std::map<std::string, double> share{
      {"a", 3.0 / 6}, {"b", 2.0 / 6}, {"c", 1.0 / 6}};
  // While "c" (50 seats, one sixth) has room: the first 300 leads.
  for (int k = 0; k < order->rows() && k < 300; ++k) {
    ++got[order->Bytes(k, 0)];
    for (const auto& [rep, s] : share) {
      EXPECT_LE(std::abs(got[rep] - s * (k + 1)), 1.0)
          << "rep " << rep << " after " << k + 1 << " leads";
    }
  }

  // The stream: cursors 1..N with no hole, and the watcher on another
  // replica saw each exactly once, in order.
  const int64_t events = QueryInt(*uri, "SELECT count(*) FROM events");
  EXPECT_EQ(QueryInt(*uri, "SELECT max(seq) FROM events"), events);
  EXPECT_EQ(QueryInt(*uri, "SELECT min(seq) FROM events"), 1);
  ASSERT_EQ(static_cast<int64_t>(watched.size()), events);
  for (size_t i = 0; i < watched.size(); ++i) {
    ASSERT_EQ(watched[i], absl::StrCat(i + 1));
  }
  for (auto& r : replicas) r->Close();
}

// The capacity check is the database's: a replica whose decider would
// over-fill a rep (here a faulty one) has its whole batch refused.
TEST(PgStoreTest, TheDatabaseRefusesARepOverCapacity) {
  auto uri = PgCluster::Shared().NewDatabase("capacity");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto store = OpenReplica(*uri, [](const std::string&) { return 1; });
  ASSERT_NE(store, nullptr);
  auto blind = [](const leadrouter::v1::Lead& lead, int count) {
    return [lead, count](const routing::RoutingState&) {
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
    store->Route(lead, blind(lead, n), [&](absl::StatusOr<RouteOutcome> o) {
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
  auto table = Table(R"pb(
    reps { id: "a" capacity: 1000 }
    teams { id: "t" members: [ "a" ] }
    rules { id: "all" target { team: "t" } }
  )pb");
  std::atomic<int> reach_changes = 0;
  auto opened = PgStore::Open(
      {.conninfo = *uri,
       .on_reach = [&](bool) { ++reach_changes; },
       .poll_interval = absl::Milliseconds(100)});
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto& store = **opened;
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(RouteNow(store, table, MakeLead(absl::StrCat("B", i)), now).ok());
  }
  ASSERT_TRUE((*cluster)->Stop("immediate").ok());
  auto down = RouteNow(store, table, MakeLead("during"), now);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable)
      << down.status();
  EXPECT_EQ(store.Get("B1").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*cluster)->Restart().ok());
  // Back by itself: the next route reconnects.
  absl::StatusOr<RouteOutcome> again;
  for (int attempt = 0; attempt < 100; ++attempt) {
    again = RouteNow(store, table, MakeLead("after"), now);
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(again.ok()) << again.status();
  for (int i = 0; i < 20; ++i) {
    auto a = store.Get(absl::StrCat("B", i));
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->rep_id(), "a");
  }
  EXPECT_EQ(store.Snapshot().OpenAssignments("a"), 21);  // not "during"
  store.Close();
  EXPECT_GE(reach_changes.load(), 1);  // told it lost the database
}

}  // namespace
}  // namespace leadrouter::server

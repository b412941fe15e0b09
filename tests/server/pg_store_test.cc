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
#include "routing/routing_table.h"
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

absl::StatusOr<RouteOutcome> RouteNow(
    AssignmentStore& store, std::shared_ptr<const routing::RoutingTable> table,
    const leadrouter::v1::Lead& lead, absl::Time now) {
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
  auto store =
      PgStore::Open({.conninfo = uri, .capacity = std::move(capacity)});
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

// Three replicas, nine routing threads, a weighted team whose capacity runs
// out part-way, and one id in ten sent to two replicas at once.
TEST(PgStoreTest, ThreeReplicasHoldEveryInvariantTogether) {
  auto uri = PgCluster::Shared().NewDatabase("replicas");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 150 }
    reps { id: "b" capacity: 100 }
    reps { id: "c" capacity: 50 }
    teams {
      id: "t"
      strategy: TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN
      members: [ "a", "b", "c" ]
      weights { key: "a" value: 3 }
      weights { key: "b" value: 2 }
    }
    rules {
      id: "all"
      target { team: "t" }
    }
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
                           "AND rep_id = '",
                           rep, "'"));
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

// libpq sends text up to its first NUL byte: the store refuses such a value
// instead of looking up a shorter one.
TEST(PgStoreTest, ATextValueWithANulByteIsRefusedNotCutShort) {
  auto uri = PgCluster::Shared().NewDatabase("nul");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 10 }
    teams {
      id: "t"
      members: [ "a" ]
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
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
    teams {
      id: "t"
      members: [ "a" ]
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
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

// A replica's copy of the routing state follows the other replicas' commits
// (Snapshot: dry runs, ListReps, the gauges).
TEST(PgStoreTest, ASnapshotSeesTheOtherReplicasCommits) {
  auto uri = PgCluster::Shared().NewDatabase("snapshot");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 100 }
    teams {
      id: "t"
      members: [ "a" ]
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
  auto a = OpenReplica(*uri);
  auto b = OpenReplica(*uri);
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RouteNow(*a, table, MakeLead(absl::StrCat("S", i)), now).ok());
  }
  // B hears of A's commits from its listener (bounded wait, no window).
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (b->LastEventCursor() < a->LastEventCursor() &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(b->LastEventCursor(), 5);
  EXPECT_EQ(b->Snapshot().OpenAssignments("a"), 5);
}

// Two replicas run the response clock at the same moment: each lapse is
// acted on once.
TEST(PgStoreTest, EachLapseIsActedOnOnceAcrossReplicas) {
  auto uri = PgCluster::Shared().NewDatabase("lapses");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 1000 }
    reps { id: "b" capacity: 1000 }
    reps { id: "boss" capacity: 1000 }
    teams {
      id: "t"
      members: [ "a", "b" ]
      response_sla {
        accept_within: "30m"
        max_reroutes: 1
        escalate_to { rep: "boss" }
      }
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
  std::vector<std::unique_ptr<PgStore>> replicas;
  for (int i = 0; i < 2; ++i) replicas.push_back(OpenReplica(*uri));
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  constexpr int kLeads = 300;
  for (int i = 0; i < kLeads; ++i) {
    ASSERT_TRUE(
        RouteNow(*replicas[i % 2], table, MakeLead(absl::StrCat("E", i)), now)
            .ok());
  }
  const absl::Time later = now + absl::Hours(1);
  auto expire = [&](PgStore& store) {
    int changed = 0;
    while (true) {  // each pass handles a bounded batch
      absl::StatusOr<int> n = store.ExpireDue(
          later,
          [&](const leadrouter::v1::Lead& lead,
              const leadrouter::v1::Assignment& stored,
              const routing::RoutingState& state)
              -> absl::StatusOr<std::optional<routing::LeadChange>> {
            return routing::ExpireResponseTime(*table, lead, stored, state,
                                               later);
          },
          [&](const leadrouter::v1::Lead& lead,
              const leadrouter::v1::Assignment& stored,
              const routing::RoutingState& state) {
            return routing::Rerouted(*table, lead, stored, state, later);
          });
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) return changed;
      changed += *n;
    }
  };
  auto first =
      std::async(std::launch::async, [&] { return expire(*replicas[0]); });
  auto second =
      std::async(std::launch::async, [&] { return expire(*replicas[1]); });
  const int acted = first.get() + second.get();
  EXPECT_EQ(acted, kLeads);  // every lead once: rerouted, not twice
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM events"), 2 * kLeads);
  EXPECT_EQ(QueryInt(*uri,
                     "SELECT count(*) FROM (SELECT lead_id FROM events "
                     "GROUP BY lead_id HAVING count(*) <> 2) x"),
            0);
}

// Waiting leads drained by two replicas at once move once each.
TEST(PgStoreTest, WaitingQueuesAreDrainedByOneReplicaAtATime) {
  auto uri = PgCluster::Shared().NewDatabase("drains");
  ASSERT_TRUE(uri.ok()) << uri.status();
  std::vector<std::unique_ptr<PgStore>> replicas;
  for (int i = 0; i < 2; ++i) replicas.push_back(OpenReplica(*uri));
  auto decision = [](const leadrouter::v1::Lead& lead, bool assign) {
    routing::LeadChange d;
    d.assignment.set_lead_id(lead.id());
    d.assignment.set_state(assign ? leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED
                                  : leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
    if (assign) {
      d.assignment.set_rep_id("r");
    } else {
      d.assignment.set_queue("team/q");
    }
    leadrouter::v1::AssignmentEvent e;
    e.set_lead_id(lead.id());
    e.set_type(assign ? leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED
                      : leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED);
    d.events.push_back(e);
    return d;
  };
  constexpr int kLeads = 400;
  for (int i = 0; i < kLeads; ++i) {
    const leadrouter::v1::Lead lead = MakeLead(absl::StrCat("Q", i));
    std::promise<absl::StatusOr<RouteOutcome>> done;
    replicas[i % 2]->Route(
        lead,
        [lead, &decision](const routing::RoutingState&) {
          return decision(lead, false);
        },
        [&](absl::StatusOr<RouteOutcome> o) { done.set_value(std::move(o)); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  std::atomic<int> offers = 0;
  auto drain = [&](PgStore& store) {
    int moved = 0;
    for (int pass = 0; pass < 10; ++pass) {
      absl::StatusOr<int> n = store.DrainWaitingQueues(
          [&](const leadrouter::v1::Lead& lead,
              const leadrouter::v1::Assignment&, const routing::RoutingState&) {
            ++offers;
            return decision(lead, true);
          });
      EXPECT_TRUE(n.ok()) << n.status();
      if (n.ok()) moved += *n;
    }
    return moved;
  };
  auto first =
      std::async(std::launch::async, [&] { return drain(*replicas[0]); });
  auto second =
      std::async(std::launch::async, [&] { return drain(*replicas[1]); });
  EXPECT_EQ(first.get() + second.get(), kLeads);
  EXPECT_EQ(offers.load(), kLeads);  // no lead was offered twice
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM assignments WHERE state = 1"),
            kLeads);
  EXPECT_EQ(QueryInt(*uri, "SELECT count(*) FROM events"), 2 * kLeads);
}

// Daily caps and same-company stickiness decide as on one node while two
// replicas take turns: every decision is the one a single node makes.
// (Declined reps: the workflow conformance tests, on both stores.)
TEST(PgStoreTest, DailyCapsAndStickinessDecideAsOnOneNode) {
  auto uri = PgCluster::Shared().NewDatabase("caps");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = Table(R"pb(
    reps { id: "a" capacity: 100 daily_cap: 3 }
    reps { id: "b" capacity: 100 }
    reps { id: "c" capacity: 100 }
    teams {
      id: "t"
      members: [ "a", "b", "c" ]
    }
    rules {
      id: "all"
      target { team: "t" }
    }
  )pb");
  auto one = OpenReplica(*uri);
  auto two = OpenReplica(*uri);
  PgStore* replicas[] = {one.get(), two.get()};
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  // The same decisions one node makes, replayed on a local state.
  routing::RoutingState single;
  for (int i = 0; i < 30; ++i) {
    leadrouter::v1::Lead lead = MakeLead(absl::StrCat("D", i));
    // Every third lead from one company: it sticks to its first rep.
    if (i % 3 == 0) lead.set_company_domain("acme.com");
    routing::Decision expected = routing::Decide(*table, lead, single, now);
    routing::ApplyChanges(expected.changes, &single);
    auto got = RouteNow(*replicas[i % 2], table, lead, now);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->assignment.rep_id(), expected.assignment.rep_id()) << i;
  }
  EXPECT_EQ(QueryInt(*uri,
                     "SELECT count(*) FROM assignments WHERE "
                     "rep_id = 'a'"),
            3);  // the daily cap
  // Stickiness: acme's leads stay with their rep (D0, D3 with a) until its
  // daily cap is reached, then with the next one (D6, D9).
  auto reps_of = [&](const std::string& ids) {
    return QueryInt(*uri,
                    "SELECT count(DISTINCT rep_id) FROM assignments "
                    "WHERE lead_id IN (" +
                        ids + ")");
  };
  EXPECT_EQ(reps_of("'D0', 'D3'"), 1);
  EXPECT_EQ(reps_of("'D6', 'D9'"), 1);
  EXPECT_EQ(reps_of("'D0', 'D6'"), 2);
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

// Several replicas (PgStore instances, each with its own connections, as
// separate processes would have) on one real PostgreSQL: concurrent routes
// through three replicas never over-fill a rep, decide each lead id once,
// keep the weighted rotation within one lead of its share in commit order,
// and leave a gap-free event stream that a watcher on another replica
// follows exactly once; a replica's state copy follows the others; lapses
// and drains run once; caps and stickiness decide as on one node.
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
#include "server/store/pg_store.h"
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

// Three replicas, nine routing threads, a weighted team whose capacity runs
// out part-way, and one id in ten sent to two replicas at once.
TEST(PgReplicasTest, ThreeReplicasHoldEveryInvariantTogether) {
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

// A replica's copy of the routing state follows the other replicas' commits
// (Snapshot: dry runs, ListReps, the gauges).
TEST(PgReplicasTest, ASnapshotSeesTheOtherReplicasCommits) {
  auto uri = PgCluster::Shared().NewDatabase("snapshot");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto table = OneRepTable(100);
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
TEST(PgReplicasTest, EachLapseIsActedOnOnceAcrossReplicas) {
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
TEST(PgReplicasTest, WaitingQueuesAreDrainedByOneReplicaAtATime) {
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
        [&decision](const leadrouter::v1::Lead& lead,
                    const routing::RoutingState&) {
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
TEST(PgReplicasTest, DailyCapsAndStickinessDecideAsOnOneNode) {
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

}  // namespace
}  // namespace leadrouter::server

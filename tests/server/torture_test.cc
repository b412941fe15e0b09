// The torture test: three leadrouterd replicas on one PostgreSQL. 24 client
// threads spread over them route leads (one id in ten sent twice at once,
// to different replicas) and accept, reject and close assignments; every few
// seconds one replica is killed with SIGKILL and started again, and once the
// database is stopped with -m immediate and started again. A watcher
// follows the change stream through the whole run, moving to another
// replica whenever its replica dies. Afterwards, in SQL and over the API:
// every acknowledged decision is stored as it was answered, each lead was
// decided once, no rep is over capacity and the stored loads equal a
// recount, the cursors run 1..N with no hole, and the watcher saw each
// event exactly once, in order.
//
// ctest runs it for 20 seconds. The long run:
//   LEADROUTER_TORTURE_SECONDS=600 build/tests/server/torture_test
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "server/store/pg_db.h"
#include "tests/server/daemon_process.h"
#include "tests/server/pg_cluster.h"

namespace leadrouter::testing {
namespace {

using server::PgCluster;
using server::PgConnection;

constexpr char kConfig[] = R"(
reps:
  - { id: a, capacity: 30 }
  - { id: b, capacity: 30 }
  - { id: c, capacity: 20 }
  - { id: d, capacity: 20 }
  - { id: e, capacity: 10 }
  - { id: f, capacity: 10 }
teams:
  - id: t
    strategy: weighted_round_robin
    members: [a, b, c, d, e, f]
    weights: { a: 3, b: 3, c: 2, d: 2 }
rules:
  - { id: all, target: { team: t } }
)";
const std::map<std::string, int> kCapacity{{"a", 30}, {"b", 30}, {"c", 20},
                                           {"d", 20}, {"e", 10}, {"f", 10}};

// One running replica: its process and stubs. Replaced whole on restart.
struct Replica {
  std::unique_ptr<DaemonProcess> daemon;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::LeadRouter::Stub> router;
  std::unique_ptr<v1::AssignmentService::Stub> assignments;
};

std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(seconds));
  return context;
}

// What a client may be told while replicas die and the database restarts.
bool Tolerated(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::CANCELLED ||
         code == grpc::StatusCode::ABORTED ||            // a stale etag
         code == grpc::StatusCode::FAILED_PRECONDITION;  // changed meanwhile
}

class Torture {
 public:
  Torture(std::string uri, std::string config_path, std::string dir)
      : uri_(std::move(uri)),
        config_path_(std::move(config_path)),
        dir_(std::move(dir)) {}

  // Starts replica `i` (again), retrying while the database is away.
  void Start(int i) {
    for (int attempt = 0; attempt < 120; ++attempt) {
      std::string log;
      auto daemon = DaemonProcess::Start(
          config_path_, absl::StrCat(dir_, "/unused-", i),
          {"--store=" + uri_, "--queue_interval=200ms"}, &log);
      if (daemon != nullptr) {
        auto r = std::make_shared<Replica>();
        r->channel = grpc::CreateChannel(daemon->address(),
                                         grpc::InsecureChannelCredentials());
        r->router = v1::LeadRouter::NewStub(r->channel);
        r->assignments = v1::AssignmentService::NewStub(r->channel);
        r->daemon = std::move(daemon);
        std::lock_guard lock(mu_);
        replicas_[i] = std::move(r);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << "replica " << i << " did not start";
  }

  std::shared_ptr<Replica> Get(int i) {
    std::lock_guard lock(mu_);
    return replicas_[i % 3];
  }

  void Kill(int i) {
    std::shared_ptr<Replica> r = Get(i);
    r->daemon->Kill();
  }

  std::string uri_, config_path_, dir_;
  std::mutex mu_;
  std::shared_ptr<Replica> replicas_[3];
};

TEST(TortureTest, ThreeReplicasThroughKillsAndADatabaseRestart) {
  int seconds = 20;
  if (const char* env = std::getenv("LEADROUTER_TORTURE_SECONDS")) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &seconds) && seconds > 0);
  }
  auto cluster = PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto uri = (*cluster)->NewDatabase("torture");
  ASSERT_TRUE(uri.ok()) << uri.status();
  const std::string dir = MakeTempDir("torture");
  WriteFile(dir + "/routing.yaml", kConfig);
  Torture t(*uri, dir + "/routing.yaml", dir);
  for (int i = 0; i < 3; ++i) t.Start(i);
  for (int i = 0; i < 3; ++i) ASSERT_NE(t.Get(i), nullptr);

  const auto end =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::atomic<bool> clients_done = false;

  // The watcher: resumes with its last cursor on the next replica whenever
  // its stream breaks.
  std::vector<int64_t> watched;
  std::atomic<int64_t> watch_until = -1;  // set after the run
  std::thread watcher([&] {
    std::string cursor;
    int replica = 0;
    const auto give_up = end + std::chrono::minutes(5);
    while (std::chrono::steady_clock::now() < give_up) {
      const int64_t until = watch_until.load();
      if (until >= 0 && static_cast<int64_t>(watched.size()) >= until) return;
      std::shared_ptr<Replica> r = t.Get(replica++);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      v1::WatchAssignmentsRequest request;
      request.set_cursor(cursor);
      request.set_from_start(cursor.empty());
      auto stream = r->assignments->WatchAssignments(&context, request);
      v1::AssignmentEvent e;
      while (stream->Read(&e)) {
        int64_t seq = 0;
        ASSERT_TRUE(absl::SimpleAtoi(e.cursor(), &seq));
        watched.push_back(seq);
        cursor = e.cursor();
      }
      stream->Finish().IgnoreError();  // deadline, or its replica died
    }
  });

  // The clients.
  std::mutex mu;
  std::map<std::string, std::vector<v1::RouteLeadResponse>> answers;
  std::map<std::string, int> unexpected;  // status code name -> count
  std::atomic<int> routed = 0, accepted = 0, rejected = 0, closed = 0;
  auto note = [&](const grpc::Status& s) {
    if (!s.ok() && !Tolerated(s.error_code())) {
      std::lock_guard lock(mu);
      ++unexpected[absl::StrCat(s.error_code(), ": ", s.error_message())];
    }
  };
  auto route = [&](int replica, const std::string& id) {
    v1::RouteLeadRequest request;
    request.mutable_lead()->set_id(id);
    request.mutable_lead()->set_country_code("DE");
    request.mutable_lead()->set_stage(v1::STAGE_SQL);
    request.mutable_lead()->set_score(50);
    v1::RouteLeadResponse response;
    auto context = Context();
    grpc::Status s =
        t.Get(replica)->router->RouteLead(context.get(), request, &response);
    note(s);
    if (s.ok()) {
      ++routed;
      std::lock_guard lock(mu);
      answers[id].push_back(response);
    }
    return s.ok() ? std::optional<v1::RouteLeadResponse>(response)
                  : std::nullopt;
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 24; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random(c);
      for (int n = 0; std::chrono::steady_clock::now() < end && n < 100000;
           ++n) {
        const std::string id = absl::StrCat("T", c, "-", n);
        std::future<std::optional<v1::RouteLeadResponse>> twin;
        if (n % 10 == 0) {
          twin = std::async(std::launch::async,
                            [&, id, c, n] { return route(c + n + 1, id); });
        }
        std::optional<v1::RouteLeadResponse> r = route(c + n, id);
        if (twin.valid()) twin.get();
        if (!r.has_value()) continue;
        auto* stub = t.Get(c + n + 2)->assignments.get();
        // The lead just routed, or (once its team is full and it waits)
        // one a rep holds now, so seats keep turning over.
        std::string lead_id = id;
        std::string etag = r->assignment().etag();
        if (r->assignment().state() != v1::ASSIGNMENT_STATE_ASSIGNED) {
          v1::ListAssignmentsRequest list;
          list.set_rep_id(std::string(1, "abcdef"[random() % 6]));
          list.set_state(v1::ASSIGNMENT_STATE_ASSIGNED);
          list.set_page_size(1);
          v1::ListAssignmentsResponse page;
          auto context = Context();
          grpc::Status s = stub->ListAssignments(context.get(), list, &page);
          note(s);
          if (!s.ok() || page.assignments().empty()) continue;
          lead_id = page.assignments(0).lead_id();
          etag = page.assignments(0).etag();
        }
        const int dice = random() % 10;
        if (dice < 5) {
          v1::AcceptAssignmentRequest accept;
          accept.set_lead_id(lead_id);
          accept.set_etag(etag);
          v1::Assignment after;
          auto context = Context();
          grpc::Status s =
              stub->AcceptAssignment(context.get(), accept, &after);
          note(s);
          if (!s.ok()) continue;
          ++accepted;
          v1::CloseAssignmentRequest close;
          close.set_lead_id(lead_id);
          close.set_etag(after.etag());
          close.set_outcome(v1::CLOSE_OUTCOME_WON);
          auto context2 = Context();
          s = stub->CloseAssignment(context2.get(), close, &after);
          note(s);
          if (s.ok()) ++closed;
        } else if (dice < 7) {
          v1::RejectAssignmentRequest reject;
          reject.set_lead_id(lead_id);
          reject.set_etag(etag);
          v1::Assignment after;
          auto context = Context();
          grpc::Status s =
              stub->RejectAssignment(context.get(), reject, &after);
          note(s);
          if (s.ok()) ++rejected;
        }
      }
    });
  }

  // Chaos: a replica killed and restarted every few seconds; the database
  // restarted once, half-way.
  int kills = 0;
  bool database_restarted = false;
  const auto half_way =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds / 2);
  while (std::chrono::steady_clock::now() + std::chrono::seconds(3) < end) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    if (!database_restarted && std::chrono::steady_clock::now() >= half_way) {
      ASSERT_TRUE((*cluster)->Stop("immediate").ok());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      ASSERT_TRUE((*cluster)->Restart().ok());
      database_restarted = true;
      continue;
    }
    t.Kill(kills);
    t.Start(kills % 3);
    ++kills;
  }
  for (auto& c : clients) c.join();
  clients_done = true;
  EXPECT_TRUE(database_restarted);
  EXPECT_GE(kills, 2);

  auto db = PgConnection::Connect(*uri);
  ASSERT_TRUE(db.ok()) << db.status();
  auto count = [&](const std::string& sql) {
    auto r = db->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status() << " " << sql;
    return r.ok() && r->rows() > 0 ? r->Int(0, 0) : -1;
  };
  // Let the queue drains settle (bounded), then follow the stream to its
  // end.
  int64_t events = count("SELECT count(*) FROM events");
  for (int i = 0; i < 60; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const int64_t now = count("SELECT count(*) FROM events");
    if (now == events) break;
    events = now;
  }
  watch_until = events;
  watcher.join();

  std::printf(
      "torture: %d s, %d routed, %d accepted, %d closed, %d rejected, "
      "%d kills, %lld events\n",
      seconds, routed.load(), accepted.load(), closed.load(), rejected.load(),
      kills, static_cast<long long>(events));
  for (const auto& [what, n] : unexpected) {
    ADD_FAILURE() << n << " calls failed unexpectedly: " << what;
  }
  EXPECT_GT(routed.load(), 100);

  // Every acknowledged decision is stored as answered, and each lead was
  // decided once: at most one answer per id was not a replay, and its rep
  // is the rep of the lead's first stored event.
  auto first = db->Query(
      "SELECT DISTINCT ON (lead_id) lead_id, rep_id FROM events "
      "ORDER BY lead_id, seq");
  ASSERT_TRUE(first.ok()) << first.status();
  std::map<std::string, std::string> first_rep;
  for (int i = 0; i < first->rows(); ++i) {
    first_rep[first->Bytes(i, 0)] = first->Bytes(i, 1);
  }
  int checked = 0;
  for (const auto& [id, responses] : answers) {
    int fresh = 0;
    for (const auto& r : responses) {
      if (r.replayed()) continue;
      ++fresh;
      ASSERT_TRUE(first_rep.contains(id)) << id << " was answered, not stored";
      EXPECT_EQ(first_rep[id], r.assignment().rep_id()) << id;
      ++checked;
    }
    EXPECT_LE(fresh, 1) << id << " was decided twice";
  }
  EXPECT_EQ(count("SELECT count(*) FROM assignments"),
            static_cast<int64_t>(first_rep.size()));

  // No rep over capacity, and the stored loads equal a recount.
  auto load = db->Query(
      "SELECT l.rep_id, l.open_count, (SELECT count(*) FROM assignments a "
      "WHERE a.rep_id = l.rep_id AND a.state IN (1, 3)) FROM rep_load l");
  ASSERT_TRUE(load.ok()) << load.status();
  for (int i = 0; i < load->rows(); ++i) {
    const std::string rep = load->Bytes(i, 0);
    EXPECT_EQ(load->Int(i, 1), load->Int(i, 2)) << rep;
    EXPECT_LE(load->Int(i, 2), kCapacity.at(rep)) << rep;
  }

  // Cursors 1..N, no hole, no duplicate; the watcher saw each once.
  EXPECT_EQ(count("SELECT min(seq) FROM events"), 1);
  EXPECT_EQ(count("SELECT max(seq) FROM events"), events);
  ASSERT_EQ(static_cast<int64_t>(watched.size()), events);
  for (size_t i = 0; i < watched.size(); ++i) {
    ASSERT_EQ(watched[i], static_cast<int64_t>(i + 1));
  }
  EXPECT_GT(checked, 100);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.Get(i)->daemon->Terminate(), 0);
}

}  // namespace
}  // namespace leadrouter::testing

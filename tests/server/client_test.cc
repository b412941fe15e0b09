// leadrouter::Client against a real leadrouterd that restarts under it:
// retried routes, RouteMany and Watch carry on, and every lead is routed
// exactly once.
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/http_get.h"

namespace leadrouter::testing {
namespace {

class ClientTest : public DaemonTest {
 protected:
  ClientOptions Options() {
    ClientOptions options;
    options.address = daemon_->address();
    options.max_attempts = 10;  // each retry waits for the server to be back
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    return options;
  }

  // Stops leadrouterd and starts it again on the same address.
  void Restart() {
    const std::string address = daemon_->address();
    StopDaemon();
    StartDaemon({"--listen=" + address});
    ASSERT_EQ(daemon_->address(), address);
  }

  // Every lead's number of ASSIGNED/QUEUED events: 1 means decided once.
  std::map<std::string, int> Decisions(const std::string& prefix, int n) {
    std::map<std::string, int> decided;
    for (int i = 0; i < n; ++i) {
      v1::Assignment a;
      const std::string id = absl::StrCat(prefix, i);
      EXPECT_TRUE(Get(id, &a).ok()) << id;
      for (const auto& e : a.history()) {
        if (e.type() == v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED ||
            e.type() == v1::ASSIGNMENT_EVENT_TYPE_QUEUED) {
          ++decided[id];
        }
      }
    }
    return decided;
  }
};

TEST_F(ClientTest, RetriesAcrossAServerRestartRouteEachLeadExactlyOnce) {
  Client client(Options());
  constexpr int kLeads = 200;
  std::atomic<int> done = 0;
  std::thread routing([&] {
    for (int i = 0; i < kLeads; ++i) {
      auto routed = client.Route(MakeLead(absl::StrCat("rt-", i), "GB"));
      EXPECT_TRUE(routed.ok()) << i << ": " << routed.status();
      done = i + 1;
    }
  });
  while (done < kLeads / 3) std::this_thread::yield();
  Restart();
  routing.join();
  const auto decided = Decisions("rt-", kLeads);
  ASSERT_EQ(decided.size(), static_cast<size_t>(kLeads));
  for (const auto& [id, n] : decided) EXPECT_EQ(n, 1) << id;
}

TEST_F(ClientTest, RouteManyResendsWhatAStreamCutLeftUnanswered) {
  Client client(Options());
  constexpr int kLeads = 3000;
  std::vector<v1::Lead> leads;
  for (int i = 0; i < kLeads; ++i) {
    leads.push_back(MakeLead(absl::StrCat("rm-", i), "GB"));
  }
  std::atomic<int> answered = 0;
  std::thread restarter([&] {
    while (answered < kLeads / 4) std::this_thread::yield();
    Restart();
  });
  auto results = client.RouteMany(
      leads, 64, [&](size_t, const auto&) { answered++; });
  restarter.join();
  ASSERT_EQ(results.size(), static_cast<size_t>(kLeads));
  for (int i = 0; i < kLeads; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->assignment().lead_id(), absl::StrCat("rm-", i));
  }
  const auto decided = Decisions("rm-", kLeads);
  for (const auto& [id, n] : decided) EXPECT_EQ(n, 1) << id;
}

TEST_F(ClientTest, WatchResumesAcrossARestartWithNoGapAndNoDuplicate) {
  Client client(Options());
  std::mutex mu;
  std::vector<v1::AssignmentEvent> seen;
  std::atomic<bool> stop = false;
  std::thread watching([&] {
    v1::WatchAssignmentsRequest request;
    request.set_team_id("bulk");
    request.set_from_start(true);
    absl::Status status =
        client.Watch(request, [&](const v1::AssignmentEvent& e) {
          std::lock_guard lock(mu);
          seen.push_back(e);
          return !stop.load();
        });
    EXPECT_TRUE(status.ok()) << status;
  });
  for (int i = 0; i < 50; ++i) RouteTo(MakeLead(absl::StrCat("w-", i), "GB"));
  Restart();
  for (int i = 50; i < 100; ++i) RouteTo(MakeLead(absl::StrCat("w-", i), "GB"));
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 100) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  RouteTo(MakeLead("w-last", "GB"));  // one more event lets the watch end
  watching.join();
  std::set<std::string> leads;
  for (size_t i = 0; i < 100 && i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].lead_id(), absl::StrCat("w-", i));
    EXPECT_TRUE(leads.insert(seen[i].lead_id()).second);
  }
  EXPECT_GE(seen.size(), 100u);
}

// A leadrouterd that lets one write wait for its commit at a time sheds
// most of 16 concurrent callers and a 64-deep stream; the client backs off
// and sends them again, so every lead is routed once and every result is
// reported in order. Nothing races the clock: the bound is a count.
TEST_F(ClientTest, CallsAnOverloadedServerShedAreSentAgain) {
  daemon_->Terminate();
  StartDaemon({"--max_pending_commits=1"});
  ClientOptions options = Options();
  options.max_attempts = 1000;
  options.initial_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  options.timeout = absl::Seconds(120);
  Client client(options);
  std::vector<std::thread> callers;
  std::atomic<int> failed = 0;
  for (int t = 0; t < 16; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        v1::Lead lead = MakeLead(absl::StrCat("shed-", t, "-", i), "GB");
        if (!client.Route(lead).ok()) ++failed;
      }
    });
  }
  std::vector<v1::Lead> many;
  for (int i = 0; i < 300; ++i) {
    many.push_back(MakeLead(absl::StrCat("many-", i), "GB"));
  }
  std::vector<size_t> order;
  auto results = client.RouteMany(
      many, 64, [&](size_t i, const absl::StatusOr<v1::RouteLeadResponse>&) {
        order.push_back(i);
      });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(order.size(), many.size());
  for (size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], i);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << i << " " << results[i].status();
  }
  for (const auto& [id, n] : Decisions("many-", 300)) EXPECT_EQ(n, 1) << id;
  // It was overloaded: some leads were shed and sent again.
  absl::StatusOr<std::string> metrics =
      HttpGet(daemon_->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, ::testing::HasSubstr("outcome=\"shed\""));
}

// A shed call says how long to wait: a unary call in the
// grpc-retry-pushback-ms trailer, a stream's lead in LeadError. Bounded by
// rounds, not time: with one commit slot and 32 callers at once, a round
// without a shed is all but impossible.
TEST_F(ClientTest, AShedCallSaysHowLongToWait) {
  daemon_->Terminate();
  StartDaemon({"--max_pending_commits=1"});
  std::atomic<int> shed = 0, without_wait = 0;
  for (int round = 0; round < 20 && shed == 0; ++round) {
    std::vector<std::thread> callers;
    for (int t = 0; t < 32; ++t) {
      callers.emplace_back([&, round, t] {
        v1::RouteLeadRequest request;
        *request.mutable_lead() =
            MakeLead(absl::StrCat("push-", round, "-", t), "GB");
        v1::RouteLeadResponse response;
        grpc::ClientContext context;
        const grpc::Status s = router_->RouteLead(&context, request, &response);
        if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return;
        ++shed;
        const auto& trailers = context.GetServerTrailingMetadata();
        auto it = trailers.find("grpc-retry-pushback-ms");
        int64_t ms = 0;
        if (it == trailers.end() ||
            !absl::SimpleAtoi(std::string(it->second.data(), it->second.size()),
                              &ms) ||
            ms < 50 || ms > 5000 ||
            !absl::StrContains(s.error_message(), absl::StrCat(ms, " ms"))) {
          ++without_wait;
        }
      });
    }
    for (std::thread& t : callers) t.join();
  }
  ASSERT_GT(shed.load(), 0);
  EXPECT_EQ(without_wait.load(), 0);

  // A stream sends faster than one slot commits: its shed leads carry the
  // wait too.
  int stream_shed = 0;
  for (int round = 0; round < 20 && stream_shed == 0; ++round) {
    grpc::ClientContext context;
    auto stream = router_->RouteLeads(&context);
    for (int i = 0; i < 100; ++i) {
      v1::RouteLeadRequest request;
      *request.mutable_lead() =
          MakeLead(absl::StrCat("pushs-", round, "-", i), "GB");
      ASSERT_TRUE(stream->Write(request));
    }
    stream->WritesDone();
    v1::RouteLeadsResponse response;
    while (stream->Read(&response)) {
      if (response.has_error() && response.error().code() == 8) {
        ++stream_shed;
        EXPECT_GE(response.error().retry_after_ms(), 50);
        EXPECT_LE(response.error().retry_after_ms(), 5000);
      }
    }
    ASSERT_TRUE(stream->Finish().ok());
  }
  EXPECT_GT(stream_shed, 0);
}

}  // namespace
}  // namespace leadrouter::testing

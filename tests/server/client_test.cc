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

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

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
    router_.reset();
    assignments_.reset();
    admin_.reset();
    channel_.reset();
    ASSERT_EQ(daemon_->Terminate(), 0);
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

}  // namespace
}  // namespace leadrouter::testing

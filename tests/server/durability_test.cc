// What survives a restart: every acknowledged assignment, each rep's open
// load and each team's rotation, after a clean SIGTERM and after kill -9.
// Also how the daemon starts, drains and refuses to start.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sqlite3.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(DaemonTest, SigtermDrainsAndExitsZeroAndRestartRestoresEverything) {
  EXPECT_EQ(RouteTo(MakeLead("L-1", "DE")), "anna");
  EXPECT_EQ(RouteTo(MakeLead("L-2", "DE")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-3", "DE")), "anna");
  EXPECT_EQ(daemon_->Terminate(), 0);
  StartDaemon();

  v1::Assignment a;
  ASSERT_TRUE(Get("L-2", &a).ok());
  EXPECT_EQ(a.rep_id(), "ben");
  // Rotation continues after anna; anna (2 of 2) and then ben are full.
  EXPECT_EQ(RouteTo(MakeLead("L-4", "DE")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-5", "DE")), "queue:team/dach");
  // And a retry after the restart is still a replay.
  v1::RouteLeadResponse replay;
  ASSERT_TRUE(Route(MakeLead("L-1", "DE"), &replay).ok());
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.assignment().rep_id(), "anna");
}

TEST_F(DaemonTest, KillNineWhileRoutingLosesNoAcknowledgedLead) {
  std::mutex mu;
  std::map<std::string, std::string> acknowledged;  // lead id -> rep
  std::atomic<bool> stop = false;
  std::atomic<int> running = 8;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        const std::string id = "K-" + std::to_string(c) + "-" + std::to_string(i);
        v1::RouteLeadResponse response;
        if (!Route(MakeLead(id, "GB"), &response).ok()) break;
        std::lock_guard lock(mu);
        acknowledged[id] = response.assignment().rep_id();
      }
      --running;
    });
  }
  // Let the clients get going, then crash the daemon in the middle of it.
  while (running == 8) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(mu);
    if (acknowledged.size() >= 300) break;
  }
  daemon_->Kill();
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GE(acknowledged.size(), 300u);

  StartDaemon();
  for (const auto& [id, rep] : acknowledged) {
    v1::Assignment a;
    ASSERT_TRUE(Get(id, &a).ok()) << id << " was acknowledged but is lost";
    EXPECT_EQ(a.rep_id(), rep) << id;
  }
  // Each rep's open load matches what is stored for that rep: a dry run
  // shows the loads the daemon restored.
  std::map<std::string, int> stored_per_rep;
  v1::ListAssignmentsRequest request;
  request.set_page_size(1000);
  do {
    v1::ListAssignmentsResponse page;
    ASSERT_TRUE(List(request, &page).ok());
    for (const auto& a : page.assignments()) ++stored_per_rep[a.rep_id()];
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  grpc::ClientContext context;
  v1::ExplainRouteRequest explain;
  *explain.mutable_lead() = MakeLead("K-next", "GB");
  v1::ExplainRouteResponse response;
  ASSERT_TRUE(router_->ExplainRoute(&context, explain, &response).ok());
  ASSERT_EQ(response.assignment().trace().candidates_size(), 4);
  for (const auto& c : response.assignment().trace().candidates()) {
    EXPECT_EQ(c.open_assignments(), stored_per_rep[c.rep_id()]) << c.rep_id();
  }
}

TEST_F(DaemonTest, HealthServiceReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Another process holds the database's write lock: commits fail, so the
// service says NOT_SERVING (a load balancer stops sending leads) until a
// commit works again.
TEST_F(DaemonTest, HealthTurnsNotServingWhileTheStoreCannotCommit) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  auto status = [&] {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(health->Check(&context, request, &response).ok());
    return response.status();
  };
  ASSERT_EQ(status(), grpc::health::v1::HealthCheckResponse::SERVING);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_dir_ + "/leadrouter.db").c_str(), &db),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  v1::RouteLeadResponse response;
  grpc::Status failed = Route(MakeLead("locked-out", "DE"), &response);
  EXPECT_FALSE(failed.ok());  // after the store's busy timeout
  EXPECT_EQ(status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(RouteTo(MakeLead("after-lock", "DE")), "anna");
  EXPECT_EQ(status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // The failed lead was not stored: routing it again works.
  EXPECT_EQ(RouteTo(MakeLead("locked-out", "DE")), "ben");
}

TEST_F(DaemonTest, ReflectionListsTheServicesForGenericTools) {
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) {
    names.push_back(s.name());
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"leadrouter.v1.LeadRouter",
                                              "leadrouter.v1.AssignmentService",
                                              "grpc.health.v1.Health"}));
  // A tool can fetch the schema of a service to build requests.
  request.set_file_containing_symbol("leadrouter.v1.LeadRouter");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
}

TEST_F(DaemonTest, SecondDaemonOnTheSameDataDirIsRefused) {
  std::string log;
  const int code = DaemonProcess::RunToExit(
      {"--config=" + config_path_, "--data_dir=" + data_dir_,
       "--listen=127.0.0.1:0"},
      &log);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(log, HasSubstr("in use by another leadrouterd"));
  EXPECT_EQ(RouteTo(MakeLead("L-1", "DE")), "anna");  // the first one serves on
}

TEST(DaemonStart, BrokenConfigIsRefusedWithFileLineAndField) {
  const std::string dir = MakeTempDir("broken-config");
  WriteFile(dir + "/routing.yaml", R"(reps:
  - { id: anna, capacity: 0 }
teams:
  - { id: t, members: [anna] }
rules:
  - { id: all, target: { team: t } }
)");
  std::string log;
  const int code = DaemonProcess::RunToExit(
      {"--config=" + dir + "/routing.yaml", "--data_dir=" + dir + "/data",
       "--listen=127.0.0.1:0"},
      &log);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(log, HasSubstr("config_invalid"));
  EXPECT_THAT(log, HasSubstr("routing.yaml:2:"));
  EXPECT_THAT(log, HasSubstr("reps[0].capacity: 0 is outside 1 to 100000"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("\"serving\"")));
}

TEST(DaemonStart, MissingConfigFlagIsAUsageError) {
  std::string log;
  EXPECT_EQ(DaemonProcess::RunToExit({}, &log), 2);
  EXPECT_THAT(log, HasSubstr("--config is required"));
}

}  // namespace
}  // namespace leadrouter::testing

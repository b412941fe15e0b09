// Real leadrouterd replicas on one real PostgreSQL (started by the test as
// an unprivileged user): a lead routed through one replica is replayed by
// another and readable there; capacity holds across replicas; health turns
// NOT_SERVING while the database is down and SERVING again after it comes
// back, without a restart of leadrouterd; --migrate_only creates the schema
// and exits; and the database password never reaches a log.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "server/store/pg_schema.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/daemon_process.h"
#include "tests/server/http_get.h"
#include "tests/server/pg_cluster.h"

namespace leadrouter::testing {
namespace {

using server::PgCluster;
using ::testing::HasSubstr;
using ::testing::Not;

struct Replica {
  std::unique_ptr<DaemonProcess> daemon;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::LeadRouter::Stub> router;
  std::unique_ptr<v1::AssignmentService::Stub> assignments;
  std::unique_ptr<v1::RoutingAdmin::Stub> admin;

  std::string ConfigVersion() {
    grpc::ClientContext context;
    v1::GetConfigRequest request;
    v1::GetConfigResponse response;
    EXPECT_TRUE(admin->GetConfig(&context, request, &response).ok());
    return response.version();
  }

  grpc::Status Route(const v1::Lead& lead, v1::RouteLeadResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::RouteLeadRequest request;
    *request.mutable_lead() = lead;
    return router->RouteLead(&context, request, response);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health() {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

  // Waits (bounded generously) until health reports `want`.
  bool AwaitHealth(grpc::health::v1::HealthCheckResponse::ServingStatus want) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      if (Health() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = MakeTempDir(std::string("replicas.") + info->name());
    config_path_ = dir_ + "/routing.yaml";
    WriteFile(config_path_, kServiceTestConfig);
  }

  Replica Start(const std::string& uri, int n) {
    Replica r;
    std::string log;
    r.daemon = DaemonProcess::Start(config_path_,
                                    absl::StrCat(dir_, "/unused-data-", n),
                                    {"--store=" + uri}, &log);
    EXPECT_NE(r.daemon, nullptr) << log;
    if (r.daemon == nullptr) return r;
    r.channel = grpc::CreateChannel(r.daemon->address(),
                                    grpc::InsecureChannelCredentials());
    r.router = v1::LeadRouter::NewStub(r.channel);
    r.assignments = v1::AssignmentService::NewStub(r.channel);
    r.admin = v1::RoutingAdmin::NewStub(r.channel);
    return r;
  }

  std::string dir_, config_path_;
};

TEST_F(ReplicasTest, ReplicasShareDecisionsCapacityAndHealTogether) {
  auto cluster = PgCluster::Start();  // its own: this test restarts it
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto uri = (*cluster)->NewDatabase("replicas");
  ASSERT_TRUE(uri.ok()) << uri.status();
  Replica a = Start(*uri, 1);
  Replica b = Start(*uri, 2);
  ASSERT_NE(a.daemon, nullptr);
  ASSERT_NE(b.daemon, nullptr);

  // One decision per lead, whichever replica gets the retry.
  v1::RouteLeadResponse first, again;
  ASSERT_TRUE(a.Route(MakeLead("dup-1", "DE"), &first).ok());
  ASSERT_TRUE(b.Route(MakeLead("dup-1", "DE"), &again).ok());
  EXPECT_FALSE(first.replayed());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.assignment().rep_id(), first.assignment().rep_id());
  {
    grpc::ClientContext context;
    v1::GetAssignmentRequest request;
    request.set_lead_id("dup-1");
    v1::Assignment stored;
    ASSERT_TRUE(b.assignments->GetAssignment(&context, request, &stored).ok());
    EXPECT_EQ(stored.rep_id(), first.assignment().rep_id());
    EXPECT_GE(stored.history_size(), 1);
  }

  // team dach has four seats (anna, ben: 2 each) across both replicas.
  int assigned = 1;  // dup-1
  int queued = 0;
  for (int i = 0; i < 6; ++i) {
    v1::RouteLeadResponse response;
    Replica& via = i % 2 == 0 ? b : a;
    ASSERT_TRUE(
        via.Route(MakeLead(absl::StrCat("de-", i), "AT"), &response).ok());
    response.assignment().state() == v1::ASSIGNMENT_STATE_ASSIGNED ? ++assigned
                                                                   : ++queued;
  }
  EXPECT_EQ(assigned, 4);
  EXPECT_EQ(queued, 3);

  // The database goes away: both replicas say so, and routes are refused.
  ASSERT_TRUE((*cluster)->Stop("immediate").ok());
  EXPECT_TRUE(
      a.AwaitHealth(grpc::health::v1::HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(
      b.AwaitHealth(grpc::health::v1::HealthCheckResponse::NOT_SERVING));
  v1::RouteLeadResponse refused;
  EXPECT_EQ(a.Route(MakeLead("uk-down", "GB"), &refused).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // It comes back: so do they, by themselves.
  ASSERT_TRUE((*cluster)->Restart().ok());
  EXPECT_TRUE(a.AwaitHealth(grpc::health::v1::HealthCheckResponse::SERVING));
  EXPECT_TRUE(b.AwaitHealth(grpc::health::v1::HealthCheckResponse::SERVING));
  grpc::Status back;
  for (int attempt = 0; attempt < 100; ++attempt) {
    v1::RouteLeadResponse response;
    back = b.Route(MakeLead("uk-up", "GB"), &response);
    if (back.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(back.ok()) << back.error_message();
  v1::RouteLeadResponse replay;
  ASSERT_TRUE(a.Route(MakeLead("dup-1", "DE"), &replay).ok());
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.assignment().rep_id(), first.assignment().rep_id());

  EXPECT_EQ(a.daemon->Terminate(), 0);
  EXPECT_EQ(b.daemon->Terminate(), 0);
  EXPECT_THAT(a.daemon->Log(), Not(HasSubstr("buyer@")));
}

// ApplyConfig, SetRepAvailability and SIGHUP on one replica reach every
// replica: a route that starts on another replica after the call returned
// is decided on the new version, and every replica reports it. A replica
// restarted with an old file keeps running the shared config.
TEST_F(ReplicasTest, AConfigChangeOnOneReplicaRunsOnEveryReplica) {
  auto uri = PgCluster::Shared().NewDatabase("shared_config");
  ASSERT_TRUE(uri.ok()) << uri.status();
  Replica a = Start(*uri, 1);
  Replica b = Start(*uri, 2);
  ASSERT_NE(a.daemon, nullptr);
  ASSERT_NE(b.daemon, nullptr);
  const std::string first = a.ConfigVersion();
  EXPECT_EQ(b.ConfigVersion(), first);

  // Leads from GB go to a new team of one rep.
  std::string yaml = kServiceTestConfig;
  yaml.replace(
      yaml.find("  - { id: bulk, members: [r1, r2, r3, r4] }"),
      std::string("  - { id: bulk, members: [r1, r2, r3, r4] }").size(),
      "  - { id: bulk, members: [r4] }");
  v1::ApplyConfigResponse applied;
  {
    grpc::ClientContext context;
    v1::ApplyConfigRequest request;
    request.set_yaml(yaml);
    ASSERT_TRUE(a.admin->ApplyConfig(&context, request, &applied).ok());
    ASSERT_TRUE(applied.applied());
  }
  for (int i = 0; i < 3; ++i) {
    v1::RouteLeadResponse routed;
    ASSERT_TRUE(b.Route(MakeLead(absl::StrCat("gb-", i), "GB"), &routed).ok());
    EXPECT_EQ(routed.assignment().config_version(), applied.version());
    EXPECT_EQ(routed.assignment().rep_id(), "r4");
  }
  EXPECT_EQ(b.ConfigVersion(), applied.version());
  // And its metric says so (scraped for real).
  auto scraped = HttpGet(b.daemon->metrics_address(), "/metrics");
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  EXPECT_THAT(*scraped, HasSubstr(absl::StrCat(
                            "leadrouter_config_info{version=\"",
                            applied.version(), "\"} 1")));

  // An override set on B holds on A at once.
  v1::SetRepAvailabilityResponse away;
  {
    grpc::ClientContext context;
    v1::SetRepAvailabilityRequest request;
    request.set_rep_id("r4");
    request.set_active(false);
    ASSERT_TRUE(b.admin->SetRepAvailability(&context, request, &away).ok());
  }
  v1::RouteLeadResponse waiting;
  ASSERT_TRUE(a.Route(MakeLead("gb-away", "GB"), &waiting).ok());
  EXPECT_EQ(waiting.assignment().state(), v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(waiting.assignment().config_version(), away.version());
  EXPECT_EQ(a.ConfigVersion(), away.version());

  // A restarted with the old file runs what the replicas run, and says so.
  EXPECT_EQ(a.daemon->Terminate(), 0);
  Replica again = Start(*uri, 3);
  ASSERT_NE(again.daemon, nullptr);
  EXPECT_EQ(again.ConfigVersion(), away.version());
  EXPECT_THAT(again.daemon->Log(), HasSubstr("config_file_not_running"));

  // SIGHUP re-reads that replica's file and publishes it to all.
  again.daemon->SendHup();
  std::string reloaded;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    reloaded = again.ConfigVersion();
    if (reloaded != away.version()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(reloaded, away.version());
  v1::RouteLeadResponse after_hup;
  ASSERT_TRUE(b.Route(MakeLead("gb-hup", "GB"), &after_hup).ok());
  EXPECT_EQ(after_hup.assignment().config_version(), reloaded);
  // And B reports it.
  EXPECT_EQ(b.ConfigVersion(), reloaded);
  EXPECT_EQ(again.daemon->Terminate(), 0);
  EXPECT_EQ(b.daemon->Terminate(), 0);
}

TEST_F(ReplicasTest, MigrateOnlyCreatesTheSchemaOnceAndExits) {
  auto uri = PgCluster::Shared().NewDatabase("migrate_only");
  ASSERT_TRUE(uri.ok()) << uri.status();
  std::string log;
  EXPECT_EQ(
      DaemonProcess::RunToExit({"--migrate_only", "--store=" + *uri}, &log), 0)
      << log;
  EXPECT_THAT(log, HasSubstr("\"event\":\"schema_migrated\""));
  EXPECT_THAT(log,
              HasSubstr(absl::StrCat("\"applied\":\"",
                                     server::LatestPgSchemaVersion(), "\"")));
  log.clear();
  EXPECT_EQ(
      DaemonProcess::RunToExit({"--migrate_only", "--store=" + *uri}, &log), 0)
      << log;
  EXPECT_THAT(log, HasSubstr("\"applied\":\"0\""));
  EXPECT_THAT(log, Not(HasSubstr("schema_migrated")));
}

// libpq's environment variables fill in what the connection string leaves
// out (as in the Kubernetes variant: --store=postgresql:// and PG* from a
// Secret).
TEST_F(ReplicasTest, TheStoreCanComeWholeFromLibpqsEnvironment) {
  auto uri = PgCluster::Shared().NewDatabase("from_env");
  ASSERT_TRUE(uri.ok()) << uri.status();
  const std::string database = uri->substr(uri->rfind('/') + 1);
  setenv("PGHOST", "127.0.0.1", 1);
  setenv("PGPORT", absl::StrCat(PgCluster::Shared().port()).c_str(), 1);
  setenv("PGUSER", "leadrouter", 1);
  setenv("PGDATABASE", database.c_str(), 1);
  std::string log;
  const int code = DaemonProcess::RunToExit(
      {"--migrate_only", "--store=postgresql://"}, &log);
  for (const char* v : {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE"}) {
    unsetenv(v);
  }
  EXPECT_EQ(code, 0) << log;
  EXPECT_THAT(log, HasSubstr("\"event\":\"schema_migrated\""));
}

TEST_F(ReplicasTest, AnUnreachableDatabaseFailsStartWithoutThePassword) {
  std::string log;
  // Nothing listens on port 1.
  EXPECT_EQ(DaemonProcess::RunToExit(
                {"--config=" + config_path_,
                 "--store=postgresql://leadrouter:s3cret-pw@127.0.0.1:1/x"},
                &log),
            1);
  EXPECT_THAT(log, HasSubstr("store_unavailable"));
  EXPECT_THAT(log, HasSubstr("leadrouter:***@127.0.0.1:1"));
  EXPECT_THAT(log, Not(HasSubstr("s3cret-pw")));
  log.clear();
  EXPECT_EQ(
      DaemonProcess::RunToExit(
          {"--config=" + config_path_, "--store=/var/lib/leadrouter"}, &log),
      2);
  EXPECT_THAT(log, HasSubstr("--store must be a PostgreSQL connection"));
}

}  // namespace
}  // namespace leadrouter::testing

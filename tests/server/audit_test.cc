// The audit trail and the config history over a real server: admin
// changes and denied calls are recorded with principal, peer and versions,
// without tokens or personal data; every version that ran can be read and
// rolled back to; the trail survives a restart.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditTest : public SecureDaemonTest {
 protected:
  void SetUp() override {
    SecureDaemonTest::SetUp();
    StartSecure();
    admin_ = v1::RoutingAdmin::NewStub(channel_);
  }

  std::vector<v1::AuditEvent> Audit(v1::ListAuditEventsRequest request = {}) {
    std::vector<v1::AuditEvent> all;
    while (true) {
      grpc::ClientContext c;
      Authorize(c, Tokens().at("admin"));
      v1::ListAuditEventsResponse page;
      grpc::Status s = admin_->ListAuditEvents(&c, request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      all.insert(all.end(), page.events().begin(), page.events().end());
      if (!s.ok() || page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  v1::GetConfigResponse GetConfig(const std::string& version = "") {
    grpc::ClientContext c;
    Authorize(c, Tokens().at("reader"));
    v1::GetConfigRequest request;
    request.set_version(version);
    v1::GetConfigResponse response;
    grpc::Status s = admin_->GetConfig(&c, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  grpc::Status Apply(const v1::ApplyConfigRequest& request,
                     v1::ApplyConfigResponse* response,
                     const std::string& principal = "admin") {
    grpc::ClientContext c;
    Authorize(c, Tokens().at(principal));
    return admin_->ApplyConfig(&c, request, response);
  }

  std::unique_ptr<v1::RoutingAdmin::Stub> admin_;
};

TEST_F(AuditTest, ChangesAndDenialsAreRecordedWithWhoWhereAndVersions) {
  const std::string v1_version = GetConfig().version();

  // An apply: anna's capacity 2 -> 3.
  v1::ApplyConfigRequest apply;
  std::string yaml = kServiceTestConfig;
  yaml.replace(yaml.find("{ id: anna, capacity: 2 }"), 25,
               "{ id: anna, capacity: 3 }");
  apply.set_yaml(yaml);
  v1::ApplyConfigResponse applied;
  ASSERT_TRUE(Apply(apply, &applied).ok());
  const std::string v2_version = applied.version();

  // An override.
  {
    grpc::ClientContext c;
    Authorize(c, Tokens().at("admin"));
    v1::SetRepAvailabilityRequest r;
    r.set_rep_id("ben");
    r.set_active(false);
    v1::SetRepAvailabilityResponse out;
    ASSERT_TRUE(admin_->SetRepAvailability(&c, r, &out).ok());
  }
  // An erasure of a lead with personal data.
  {
    auto router = v1::LeadRouter::NewStub(channel_);
    grpc::ClientContext c;
    Authorize(c, Tokens().at("router"));
    v1::RouteLeadRequest r;
    *r.mutable_lead() = MakeLead("AUD-1", "GB");
    r.mutable_lead()->set_full_name("Erika Mustermann");
    v1::RouteLeadResponse out;
    ASSERT_TRUE(router->RouteLead(&c, r, &out).ok());
    auto assignments = v1::AssignmentService::NewStub(channel_);
    grpc::ClientContext e;
    Authorize(e, Tokens().at("admin"));
    v1::EraseLeadRequest erase;
    erase.set_lead_id("AUD-1");
    v1::Assignment erased;
    ASSERT_TRUE(assignments->EraseLead(&e, erase, &erased).ok());
  }
  // A denied call: the router may not apply configs.
  v1::ApplyConfigResponse denied_response;
  EXPECT_EQ(Apply(apply, &denied_response, "router").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Denials are written by a background thread: wait for that one.
  std::vector<v1::AuditEvent> events;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    events = Audit();
  } while (events.size() < 4 && std::chrono::steady_clock::now() < until);
  ASSERT_EQ(events.size(), 4u);
  // Newest first.
  const v1::AuditEvent& deny = events[0];
  EXPECT_EQ(deny.principal(), "router");
  EXPECT_EQ(deny.method(), "/leadrouter.v1.RoutingAdmin/ApplyConfig");
  EXPECT_EQ(deny.code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(deny.detail(), HasSubstr("needs the admin role"));

  const v1::AuditEvent& erase = events[1];
  EXPECT_EQ(erase.principal(), "admin");
  EXPECT_EQ(erase.method(), "/leadrouter.v1.AssignmentService/EraseLead");
  EXPECT_THAT(erase.targets(), Contains("lead:AUD-1"));

  const v1::AuditEvent& override_event = events[2];
  EXPECT_EQ(override_event.method(),
            "/leadrouter.v1.RoutingAdmin/SetRepAvailability");
  EXPECT_THAT(override_event.targets(), Contains("rep:ben"));
  EXPECT_EQ(override_event.version_before(), v2_version);
  EXPECT_NE(override_event.version_after(), v2_version);
  EXPECT_THAT(override_event.changes(),
              Contains(HasSubstr("reps[ben]: active: false")));

  const v1::AuditEvent& apply_event = events[3];
  EXPECT_EQ(apply_event.principal(), "admin");
  EXPECT_EQ(apply_event.version_before(), v1_version);
  EXPECT_EQ(apply_event.version_after(), v2_version);
  EXPECT_THAT(apply_event.changes(),
              Contains("modified: reps[anna].capacity: 2 -> 3"));

  for (const v1::AuditEvent& e : events) {
    EXPECT_THAT(e.peer(), HasSubstr("127.0.0.1")) << e.method();
    EXPECT_GT(e.at().seconds(), 0);
    const std::string text = e.DebugString();
    for (const auto& [name, token] : Tokens()) {
      EXPECT_THAT(text, Not(HasSubstr(token)));
    }
    EXPECT_THAT(text, Not(HasSubstr("Erika")));
    EXPECT_THAT(text, Not(HasSubstr("buyer@")));
  }

  // Filters and pages.
  v1::ListAuditEventsRequest by_principal;
  by_principal.set_principal("router");
  EXPECT_EQ(Audit(by_principal).size(), 1u);
  v1::ListAuditEventsRequest by_method;
  by_method.set_method("/leadrouter.v1.RoutingAdmin/ApplyConfig");
  by_method.set_page_size(1);
  EXPECT_EQ(Audit(by_method).size(), 2u);  // page by page
  v1::ListAuditEventsRequest later;
  later.mutable_since()->set_seconds(events[0].at().seconds() + 3600);
  EXPECT_TRUE(Audit(later).empty());
}

TEST_F(AuditTest, EveryVersionThatRanIsKeptAndARollbackRunsItAgain) {
  const v1::GetConfigResponse first = GetConfig();
  v1::ApplyConfigRequest apply;
  std::string yaml = kServiceTestConfig;
  yaml.replace(yaml.find("{ id: anna, capacity: 2 }"), 25,
               "{ id: anna, capacity: 7 }");
  apply.set_yaml(yaml);
  v1::ApplyConfigResponse applied;
  ASSERT_TRUE(Apply(apply, &applied).ok());
  ASSERT_NE(applied.version(), first.version());

  // The old version can be read as it ran.
  const v1::GetConfigResponse old = GetConfig(first.version());
  EXPECT_EQ(old.version(), first.version());
  EXPECT_EQ(old.config().reps(0).capacity(), 2);
  EXPECT_EQ(old.source(), "file");

  v1::ApplyConfigRequest rollback;
  rollback.set_rollback_to_version(first.version());
  v1::ApplyConfigResponse rolled;
  grpc::Status s = Apply(rollback, &rolled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(rolled.applied());
  EXPECT_EQ(rolled.version(), first.version());
  EXPECT_EQ(rolled.previous_version(), applied.version());
  const v1::GetConfigResponse now = GetConfig();
  EXPECT_EQ(now.version(), first.version());
  EXPECT_EQ(now.source(), "rollback");
  EXPECT_EQ(now.config().reps(0).capacity(), 2);
  EXPECT_THAT(Audit()[0].detail(), HasSubstr("rollback to " + first.version()));

  // Unknown versions are NOT_FOUND and change nothing.
  v1::ApplyConfigRequest unknown;
  unknown.set_rollback_to_version("cfg-0000000000000000");
  EXPECT_EQ(Apply(unknown, &rolled).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c;
  Authorize(c, Tokens().at("reader"));
  v1::GetConfigRequest get;
  get.set_version("cfg-0000000000000000");
  v1::GetConfigResponse missing;
  EXPECT_EQ(admin_->GetConfig(&c, get, &missing).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetConfig().version(), first.version());

  // The history and the trail survive a restart.
  ASSERT_EQ(daemon_->Terminate(), 0);
  StartSecure();
  admin_ = v1::RoutingAdmin::NewStub(channel_);
  EXPECT_EQ(GetConfig(applied.version()).config().reps(0).capacity(), 7);
  EXPECT_GE(Audit().size(), 3u);
}

TEST_F(AuditTest, ASighupReloadIsRecorded) {
  std::string yaml = kServiceTestConfig;
  yaml.replace(yaml.find("{ id: ben, capacity: 2 }"), 24,
               "{ id: ben, capacity: 5 }");
  WriteFile(config_path_, yaml);
  daemon_->SendHup();
  std::vector<v1::AuditEvent> events;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    v1::ListAuditEventsRequest r;
    r.set_principal("sighup");
    events = Audit(r);
  } while (events.size() < 2 && std::chrono::steady_clock::now() < until);
  ASSERT_EQ(events.size(), 2u);  // the config file, then the auth file
  EXPECT_THAT(events[1].targets(), Contains("config"));
  EXPECT_EQ(events[1].peer(), "local");
  EXPECT_THAT(events[1].changes(),
              Contains("modified: reps[ben].capacity: 2 -> 5"));
  EXPECT_NE(events[1].version_before(), events[1].version_after());
  EXPECT_THAT(events[0].targets(), Contains("auth"));
}

}  // namespace
}  // namespace leadrouter::testing

// Authorization over a real server with TLS: every method × every role ×
// no credentials gets the expected code; workers bound to reps act only on
// their leads; reflection needs a known caller; the auth file is reloaded
// on SIGHUP all or nothing; tokens never reach the log.
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "server/auth/method_roles.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Call = std::function<grpc::Status(grpc::Channel&, const std::string&)>;

// A unary method of `Service`'s stub, called with an empty request.
template <typename Service, typename Request, typename Response>
Call Unary(grpc::Status (Service::Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*)) {
  return [method](grpc::Channel& channel, const std::string& token) {
    auto stub = Service::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    Authorize(context, token);
    Request request;
    Response response;
    return ((*stub).*method)(&context, request, &response);
  };
}

// Every method, called with an empty request: an admitted caller gets past
// authorization (to OK, INVALID_ARGUMENT for the missing fields, or the
// like); the others get UNAUTHENTICATED or PERMISSION_DENIED.
std::map<std::string, Call> EveryMethod() {
  using v1::AssignmentService;
  using v1::LeadRouter;
  using v1::RoutingAdmin;
  std::map<std::string, Call> calls;
  const std::string lr = "/leadrouter.v1.LeadRouter/";
  const std::string as = "/leadrouter.v1.AssignmentService/";
  const std::string ra = "/leadrouter.v1.RoutingAdmin/";
  calls[lr + "RouteLead"] = Unary<LeadRouter>(&LeadRouter::Stub::RouteLead);
  calls[lr + "ExplainRoute"] =
      Unary<LeadRouter>(&LeadRouter::Stub::ExplainRoute);
  for (const auto& [name, call] : std::map<std::string, Call>{
           {"GetAssignment",
            Unary<AssignmentService>(&AssignmentService::Stub::GetAssignment)},
           {"ListAssignments", Unary<AssignmentService>(
                                   &AssignmentService::Stub::ListAssignments)},
           {"ListQueues",
            Unary<AssignmentService>(&AssignmentService::Stub::ListQueues)},
           {"AcceptAssignment", Unary<AssignmentService>(
                                    &AssignmentService::Stub::AcceptAssignment)},
           {"RejectAssignment", Unary<AssignmentService>(
                                    &AssignmentService::Stub::RejectAssignment)},
           {"CloseAssignment", Unary<AssignmentService>(
                                   &AssignmentService::Stub::CloseAssignment)},
           {"EraseLead",
            Unary<AssignmentService>(&AssignmentService::Stub::EraseLead)}}) {
    calls[as + name] = call;
  }
  for (const auto& [name, call] : std::map<std::string, Call>{
           {"GetConfig", Unary<RoutingAdmin>(&RoutingAdmin::Stub::GetConfig)},
           {"ApplyConfig",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::ApplyConfig)},
           {"ListReps", Unary<RoutingAdmin>(&RoutingAdmin::Stub::ListReps)},
           {"SetRepAvailability",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::SetRepAvailability)},
           {"ListAuditEvents",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::ListAuditEvents)},
           {"SimulateConfig",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::SimulateConfig)},
           {"ListDeadLetters",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::ListDeadLetters)},
           {"RetryDeadLetters",
            Unary<RoutingAdmin>(&RoutingAdmin::Stub::RetryDeadLetters)}}) {
    calls[ra + name] = call;
  }
  calls[lr + "RouteLeads"] = [](grpc::Channel& ch, const std::string& token) {
    auto stub = LeadRouter::NewStub(
        std::shared_ptr<grpc::Channel>(&ch, [](grpc::Channel*) {}));
    grpc::ClientContext c;
    Authorize(c, token);
    auto stream = stub->RouteLeads(&c);
    stream->WritesDone();
    return stream->Finish();
  };
  calls[ra + "Backup"] = [](grpc::Channel& ch, const std::string& token) {
    auto stub = RoutingAdmin::NewStub(
        std::shared_ptr<grpc::Channel>(&ch, [](grpc::Channel*) {}));
    grpc::ClientContext c;
    Authorize(c, token);
    auto reader = stub->Backup(&c, v1::BackupRequest());
    v1::BackupChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  };
  calls[as + "WatchAssignments"] = [](grpc::Channel& ch,
                                      const std::string& token) {
    auto stub = AssignmentService::NewStub(
        std::shared_ptr<grpc::Channel>(&ch, [](grpc::Channel*) {}));
    grpc::ClientContext c;
    Authorize(c, token);
    // A cursor past the newest event: an admitted caller gets OUT_OF_RANGE
    // at once, after authorization.
    v1::WatchAssignmentsRequest request;
    request.set_cursor("999999999");
    auto reader = stub->WatchAssignments(&c, request);
    v1::AssignmentEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  };
  return calls;
}

using RolesTest = SecureDaemonTest;

TEST_F(RolesTest, EveryMethodTimesEveryRoleAndNoCredentialsGetsItsCode) {
  StartSecure();
  const std::map<std::string, Call> calls = EveryMethod();
  ASSERT_EQ(calls.size(), server::MethodRoles().size());
  for (const auto& [method, role] : server::MethodRoles()) {
    ASSERT_TRUE(calls.contains(method)) << method;
    const Call& call = calls.at(method);
    grpc::Status none = call(*channel_, "");
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
    EXPECT_EQ(call(*channel_, "not-a-known-token").error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
    for (const auto& [principal, token] : Tokens()) {
      const bool allowed = server::RoleName(role) == principal;
      grpc::Status s = call(*channel_, token);
      if (allowed) {
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << method << " as " << principal;
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << principal << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << principal;
        EXPECT_THAT(s.error_message(),
                    AllOf(HasSubstr(method),
                          HasSubstr("needs the " + server::RoleName(role) +
                                    " role"),
                          Not(HasSubstr(token))));
      }
    }
  }
  // No token in the log, after all those calls.
  const std::string log = daemon_->Log();
  for (const auto& [principal, token] : Tokens()) {
    EXPECT_THAT(log, Not(HasSubstr(token)));
  }
  EXPECT_THAT(log, Not(HasSubstr("not-a-known-token")));
}

TEST_F(RolesTest, AWorkerBoundToRepsActsOnlyOnTheirLeads) {
  StartSecure();
  auto router = v1::LeadRouter::NewStub(channel_);
  auto assignments = v1::AssignmentService::NewStub(channel_);
  std::map<std::string, std::string> lead_of_rep;
  for (const char* id : {"W-1", "W-2"}) {
    grpc::ClientContext c;
    Authorize(c, Tokens().at("router"));
    v1::RouteLeadRequest request;
    *request.mutable_lead() = MakeLead(id, "DE");
    v1::RouteLeadResponse response;
    ASSERT_TRUE(router->RouteLead(&c, request, &response).ok());
    lead_of_rep[response.assignment().rep_id()] = id;
  }
  ASSERT_TRUE(lead_of_rep.contains("anna") && lead_of_rep.contains("ben"));
  auto accept = [&](const std::string& lead_id) {
    grpc::ClientContext c;
    Authorize(c, Tokens().at("worker"));
    v1::AcceptAssignmentRequest request;
    request.set_lead_id(lead_id);
    v1::Assignment a;
    return assignments->AcceptAssignment(&c, request, &a);
  };
  grpc::Status bens = accept(lead_of_rep["ben"]);
  EXPECT_EQ(bens.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(bens.error_message(), HasSubstr("only the leads of its reps"));
  EXPECT_TRUE(accept(lead_of_rep["anna"]).ok());
  // Ben's lead was not touched.
  grpc::ClientContext c;
  Authorize(c, Tokens().at("reader"));
  v1::GetAssignmentRequest get;
  get.set_lead_id(lead_of_rep["ben"]);
  v1::Assignment a;
  ASSERT_TRUE(assignments->GetAssignment(&c, get, &a).ok());
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_ASSIGNED);
}

TEST_F(RolesTest, ReflectionNeedsAKnownCaller) {
  StartSecure();
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  auto list = [&](const std::string& token,
                  grpc::reflection::v1alpha::ServerReflectionResponse* out) {
    grpc::ClientContext c;
    Authorize(c, token);
    auto stream = reflection->ServerReflectionInfo(&c);
    grpc::reflection::v1alpha::ServerReflectionRequest request;
    request.set_list_services("*");
    stream->Write(request);
    stream->WritesDone();
    while (stream->Read(out)) {
    }
    return stream->Finish();
  };
  grpc::reflection::v1alpha::ServerReflectionResponse refused;
  grpc::Status s = list("", &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(refused.list_services_response().service_size(), 0);
  grpc::reflection::v1alpha::ServerReflectionResponse listed;
  ASSERT_TRUE(list(Tokens().at("router"), &listed).ok());
  EXPECT_GT(listed.list_services_response().service_size(), 2);
}

TEST_F(RolesTest, SighupReloadsTheAuthFileAllOrNothing) {
  StartSecure();
  auto get_config = [&](const std::string& token) {
    auto admin = v1::RoutingAdmin::NewStub(channel_);
    grpc::ClientContext c;
    Authorize(c, token);
    v1::GetConfigResponse r;
    return admin->GetConfig(&c, {}, &r);
  };
  // A broken file is refused whole; the principals stay.
  WriteFile(auth_path_, "principals:\n  - name: reader\n    roles: [bogus]\n");
  daemon_->SendHup();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (daemon_->Log().find("auth_config_reload_refused") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(daemon_->Log(), HasSubstr("auth.yaml:3:"));
  EXPECT_TRUE(get_config(Tokens().at("reader")).ok());

  std::map<std::string, std::string> rotated = Tokens();
  rotated["reader"] = "tok-reader-rotated-77e1";
  WriteFile(auth_path_, AuthYamlFor(rotated));
  daemon_->SendHup();
  EXPECT_TRUE(Eventually([&] { return get_config(rotated["reader"]); }).ok());
  EXPECT_EQ(get_config(Tokens().at("reader")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RolesTest, ABrokenAuthFileStopsTheStartWithItsLine) {
  WriteFile(auth_path_, "principals:\n  - name: x\n    token_sha256: abc\n"
                        "    roles: [router]\n");
  std::string log;
  EXPECT_EQ(DaemonProcess::RunToExit(
                {"--config=" + config_path_, "--data_dir=" + data_dir_,
                 "--listen=127.0.0.1:0", "--metrics_listen=",
                 "--auth_config=" + auth_path_},
                &log),
            1);
  EXPECT_THAT(log, HasSubstr("auth.yaml:3:19: principals[0].token_sha256"));
}

TEST_F(RolesTest, WithoutAuthConfigLoopbackCallersAreAnonymousAndWarned) {
  std::string log;
  daemon_ = DaemonProcess::Start(config_path_, data_dir_, {}, &log);
  ASSERT_NE(daemon_, nullptr) << log;
  EXPECT_THAT(daemon_->Log(), HasSubstr("\"event\":\"auth_off\""));
  auto channel = grpc::CreateChannel(daemon_->address(),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::RoutingAdmin::NewStub(channel);
  grpc::ClientContext c;
  v1::GetConfigResponse r;
  EXPECT_TRUE(admin->GetConfig(&c, {}, &r).ok());
}

}  // namespace
}  // namespace leadrouter::testing

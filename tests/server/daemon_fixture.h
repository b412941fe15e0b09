// A fixture that runs a real leadrouterd on 127.0.0.1 with a small org:
//   team dach  = anna, ben (capacity 2 each)  <- leads from DE, AT, CH
//   team bulk  = r1..r4 (capacity 100000)     <- leads from GB
//   queue nurture                             <- every MQL
#ifndef LEADROUTER_TESTS_SERVER_DAEMON_FIXTURE_H_
#define LEADROUTER_TESTS_SERVER_DAEMON_FIXTURE_H_

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "tests/server/daemon_process.h"

namespace leadrouter::testing {

inline constexpr char kServiceTestConfig[] = R"(
territories:
  - { id: dach, countries: [DE, AT, CH] }
  - { id: uk, countries: [GB] }
reps:
  - { id: anna, capacity: 2 }
  - { id: ben, capacity: 2 }
  - { id: r1, capacity: 100000 }
  - { id: r2, capacity: 100000 }
  - { id: r3, capacity: 100000 }
  - { id: r4, capacity: 100000 }
teams:
  - { id: dach, members: [anna, ben] }
  - { id: bulk, members: [r1, r2, r3, r4] }
queues:
  - { id: nurture }
rules:
  - { id: mql, match: { stages: [mql] }, target: { queue: nurture } }
  - { id: dach, match: { territories: [dach] }, target: { team: dach } }
  - { id: bulk, match: { territories: [uk] }, target: { team: bulk } }
lead_sources: [webinar]
)";

inline v1::Lead MakeLead(const std::string& id, const std::string& country) {
  v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code(country);
  lead.set_stage(v1::STAGE_SQL);
  lead.set_score(60);
  // Each lead from its own company, so same-company stickiness stays out of
  // the way of tests about rotation.
  std::string company;
  for (char c : id) company += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  lead.set_email("buyer@" + company + ".example.com");
  return lead;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PrepareDirs();
    WriteFile(config_path_, kServiceTestConfig);
    StartDaemon();
  }

  // The test's own directory, config path and data directory (for
  // fixtures that write another config or start with other flags).
  void PrepareDirs() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = MakeTempDir(std::string(info->test_suite_name()) + "." +
                       info->name());
    config_path_ = dir_ + "/routing.yaml";
    data_dir_ = dir_ + "/data";
  }

  // Drops the stubs and stops leadrouterd (SIGTERM), which must exit 0.
  void StopDaemon() {
    router_.reset();
    assignments_.reset();
    admin_.reset();
    channel_.reset();
    ASSERT_EQ(daemon_->Terminate(), 0);
  }

  void StartDaemon(std::vector<std::string> extra_flags = {}) {
    std::string log;
    daemon_ = DaemonProcess::Start(config_path_, data_dir_,
                                   std::move(extra_flags), &log);
    ASSERT_NE(daemon_, nullptr) << log;
    channel_ = grpc::CreateChannel(daemon_->address(),
                                   grpc::InsecureChannelCredentials());
    router_ = v1::LeadRouter::NewStub(channel_);
    assignments_ = v1::AssignmentService::NewStub(channel_);
    admin_ = v1::RoutingAdmin::NewStub(channel_);
  }

  grpc::Status Route(const v1::Lead& lead, v1::RouteLeadResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::RouteLeadRequest request;
    *request.mutable_lead() = lead;
    return router_->RouteLead(&context, request, response);
  }

  // The rep (or "queue:<name>") the lead was routed to; fails the test on
  // an error.
  std::string RouteTo(const v1::Lead& lead) {
    v1::RouteLeadResponse response;
    grpc::Status status = Route(lead, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    const auto& a = response.assignment();
    return a.state() == v1::ASSIGNMENT_STATE_ASSIGNED ? a.rep_id()
                                                      : "queue:" + a.queue();
  }

  grpc::Status Get(const std::string& lead_id, v1::Assignment* assignment) {
    grpc::ClientContext context;
    v1::GetAssignmentRequest request;
    request.set_lead_id(lead_id);
    return assignments_->GetAssignment(&context, request, assignment);
  }

  grpc::Status List(const v1::ListAssignmentsRequest& request,
                    v1::ListAssignmentsResponse* response) {
    grpc::ClientContext context;
    return assignments_->ListAssignments(&context, request, response);
  }

  std::string dir_, config_path_, data_dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LeadRouter::Stub> router_;
  std::unique_ptr<v1::AssignmentService::Stub> assignments_;
  std::unique_ptr<v1::RoutingAdmin::Stub> admin_;
};

}  // namespace leadrouter::testing

#endif  // LEADROUTER_TESTS_SERVER_DAEMON_FIXTURE_H_

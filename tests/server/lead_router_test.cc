// LeadRouter and AssignmentService against a real leadrouterd: route,
// replay, explain, stream, list, and bad input that changes nothing.
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(DaemonTest, RoutesByRoundRobinAndQueuesWhenTeamIsFull) {
  EXPECT_EQ(RouteTo(MakeLead("L-1", "DE")), "anna");
  EXPECT_EQ(RouteTo(MakeLead("L-2", "AT")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-3", "CH")), "anna");
  EXPECT_EQ(RouteTo(MakeLead("L-4", "DE")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-5", "DE")), "queue:team/dach");
  v1::Lead mql = MakeLead("L-6", "DE");
  mql.set_stage(v1::STAGE_MQL);
  EXPECT_EQ(RouteTo(mql), "queue:nurture");
}

TEST_F(DaemonTest, RetryReturnsTheStoredDecisionAndReservesNothing) {
  v1::RouteLeadResponse first, again;
  ASSERT_TRUE(Route(MakeLead("L-1", "DE"), &first).ok());
  EXPECT_FALSE(first.replayed());
  EXPECT_EQ(first.assignment().rep_id(), "anna");

  // Same id, even with other data: the stored decision, marked as replay.
  v1::Lead changed = MakeLead("L-1", "GB");
  ASSERT_TRUE(Route(changed, &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.assignment().SerializeAsString(),
            first.assignment().SerializeAsString());

  // The replay moved neither the rotation nor anna's load.
  EXPECT_EQ(RouteTo(MakeLead("L-2", "DE")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-3", "DE")), "anna");
  EXPECT_EQ(RouteTo(MakeLead("L-4", "DE")), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-5", "DE")), "queue:team/dach");
}

TEST_F(DaemonTest, ConcurrentRetriesOfOneLeadGetOneDecision) {
  std::vector<std::thread> threads;
  std::vector<v1::RouteLeadResponse> responses(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      EXPECT_TRUE(Route(MakeLead("L-same", "GB"), &responses[i]).ok());
    });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  for (const auto& r : responses) {
    fresh += r.replayed() ? 0 : 1;
    EXPECT_EQ(r.assignment().rep_id(), responses[0].assignment().rep_id());
  }
  EXPECT_EQ(fresh, 1);
  v1::ListAssignmentsResponse all;
  ASSERT_TRUE(List({}, &all).ok());
  EXPECT_EQ(all.assignments_size(), 1);
}

TEST_F(DaemonTest, ExplainShowsTheTraceAndStoresNothing) {
  ASSERT_EQ(RouteTo(MakeLead("L-1", "DE")), "anna");
  grpc::ClientContext context;
  v1::ExplainRouteRequest request;
  *request.mutable_lead() = MakeLead("L-2", "DE");
  v1::ExplainRouteResponse response;
  ASSERT_TRUE(router_->ExplainRoute(&context, request, &response).ok());
  const v1::Assignment& a = response.assignment();
  EXPECT_EQ(a.rep_id(), "ben");
  EXPECT_EQ(a.rule_id(), "dach");
  EXPECT_FALSE(a.config_version().empty());
  ASSERT_EQ(a.trace().candidates_size(), 2);
  EXPECT_EQ(a.trace().candidates(1).rep_id(), "anna");
  EXPECT_EQ(a.trace().candidates(1).open_assignments(), 1);
  EXPECT_EQ(a.trace().candidates(1).pass_over_reason(),
            v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);

  v1::Assignment stored;
  EXPECT_EQ(Get("L-2", &stored).error_code(), grpc::StatusCode::NOT_FOUND);
  // Explaining again gives the same answer: nothing was reserved.
  grpc::ClientContext context2;
  ASSERT_TRUE(router_->ExplainRoute(&context2, request, &response).ok());
  EXPECT_EQ(response.assignment().rep_id(), "ben");
  EXPECT_EQ(RouteTo(MakeLead("L-2", "DE")), "ben");
}

TEST_F(DaemonTest, GetReturnsTheStoredAssignmentWithItsTrace) {
  ASSERT_EQ(RouteTo(MakeLead("L-1", "DE")), "anna");
  v1::Assignment a;
  ASSERT_TRUE(Get("L-1", &a).ok());
  EXPECT_EQ(a.rep_id(), "anna");
  EXPECT_EQ(a.team_id(), "dach");
  EXPECT_EQ(a.trace().summary(),
            "rule dach matched; team dach gave the lead to rep anna (by round "
            "robin)");
  EXPECT_GT(a.routed_at().seconds(), 0);
  grpc::Status missing = Get("nope", &a);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("", &a).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // No stored lead id holds a space or a NUL byte (RouteLead refuses them):
  // such an id is refused, never cut short to match another lead.
  for (const std::string& bad :
       {std::string("L 1"), std::string("L1\0x", 4)}) {
    grpc::Status refused = Get(bad, &a);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("lead_id"));
  }
}

struct BadLead {
  std::string field;
  std::function<void(v1::Lead*)> spoil;
};

TEST_F(DaemonTest, BadInputIsRefusedNamingTheFieldAndStoresNothing) {
  const std::vector<BadLead> cases = {
      {"lead.id", [](v1::Lead* l) { l->clear_id(); }},
      {"lead.id", [](v1::Lead* l) { l->set_id(std::string(200, 'x')); }},
      {"lead.country_code", [](v1::Lead* l) { l->set_country_code("XX"); }},
      {"lead.country_code", [](v1::Lead* l) { l->set_country_code("Germany"); }},
      {"lead.region_code", [](v1::Lead* l) { l->set_region_code("Bavaria"); }},
      {"lead.region_code", [](v1::Lead* l) { l->set_region_code("FR-75"); }},
      {"lead.score", [](v1::Lead* l) { l->set_score(101); }},
      {"lead.score", [](v1::Lead* l) { l->set_score(-3); }},
      {"lead.stage", [](v1::Lead* l) { l->set_stage(v1::STAGE_UNSPECIFIED); }},
      {"lead.stage",
       [](v1::Lead* l) { l->set_stage(static_cast<v1::Stage>(42)); }},
      {"lead.full_name",
       [](v1::Lead* l) { l->set_full_name(std::string(300, 'n')); }},
      {"lead.email", [](v1::Lead* l) { l->set_email("not-an-address"); }},
      {"lead:", [](v1::Lead* l) {
         for (int i = 0; i < 64; ++i) {
           (*l->mutable_attributes())["k" + std::to_string(i)] =
               std::string(1024, 'v');
         }
       }},
  };
  for (const BadLead& c : cases) {
    v1::Lead lead = MakeLead("L-bad", "DE");
    c.spoil(&lead);
    v1::RouteLeadResponse response;
    grpc::Status status = Route(lead, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_THAT(status.error_message(), StartsWith(c.field));
  }
  v1::ListAssignmentsResponse all;
  ASSERT_TRUE(List({}, &all).ok());
  EXPECT_EQ(all.assignments_size(), 0);
  // Nothing was reserved either: the first good lead goes to the first rep.
  EXPECT_EQ(RouteTo(MakeLead("L-good", "DE")), "anna");
}

TEST_F(DaemonTest, MessageOverTheTransportLimitIsRefused) {
  v1::Lead lead = MakeLead("L-huge", "DE");
  lead.set_company_name(std::string(8 * 1024 * 1024, 'c'));
  v1::RouteLeadResponse response;
  grpc::Status status = Route(lead, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::Assignment a;
  EXPECT_EQ(Get("L-huge", &a).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DaemonTest, StreamAnswersEveryLeadInOrderAndSurvivesABadOne) {
  grpc::ClientContext context;
  auto stream = router_->RouteLeads(&context);
  constexpr int kLeads = 300;
  std::thread writer([&] {
    for (int i = 0; i < kLeads; ++i) {
      v1::RouteLeadRequest request;
      *request.mutable_lead() = MakeLead("S-" + std::to_string(i), "GB");
      if (i == 150) request.mutable_lead()->set_score(500);
      ASSERT_TRUE(stream->Write(request));
    }
    stream->WritesDone();
  });
  std::vector<v1::RouteLeadsResponse> responses;
  v1::RouteLeadsResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());

  ASSERT_EQ(responses.size(), static_cast<size_t>(kLeads));
  const char* reps[] = {"r1", "r2", "r3", "r4"};
  int routed = 0;
  for (int i = 0; i < kLeads; ++i) {
    EXPECT_EQ(responses[i].lead_id(), "S-" + std::to_string(i));
    if (i == 150) {
      EXPECT_EQ(responses[i].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(responses[i].error().message(), HasSubstr("lead.score"));
      continue;
    }
    // Round robin over the stream, skipping the refused lead.
    EXPECT_EQ(responses[i].routed().assignment().rep_id(), reps[routed % 4]);
    ++routed;
  }
}

TEST_F(DaemonTest, ListFiltersByTeamAndRepAndPagesWithoutGapsOrRepeats) {
  for (int i = 0; i < 25; ++i) RouteTo(MakeLead("B-" + std::to_string(i), "GB"));
  RouteTo(MakeLead("D-1", "DE"));

  v1::ListAssignmentsRequest request;
  request.set_team_id("bulk");
  request.set_page_size(10);
  std::vector<std::string> seen;
  int pages = 0;
  do {
    v1::ListAssignmentsResponse page;
    ASSERT_TRUE(List(request, &page).ok());
    ++pages;
    for (const auto& a : page.assignments()) seen.push_back(a.lead_id());
    // A lead routed between pages appears at the end, never in between.
    if (pages == 1) RouteTo(MakeLead("B-late", "GB"));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 26u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(seen[i], "B-" + std::to_string(i));
  EXPECT_EQ(seen[25], "B-late");

  v1::ListAssignmentsRequest by_rep;
  by_rep.set_rep_id("r2");
  v1::ListAssignmentsResponse r2;
  ASSERT_TRUE(List(by_rep, &r2).ok());
  EXPECT_EQ(r2.assignments_size(), 7);  // B-1, B-5, ..., B-21 and B-late
  for (const auto& a : r2.assignments()) EXPECT_EQ(a.rep_id(), "r2");
}

TEST_F(DaemonTest, ListRefusesForeignOrBrokenPageTokens) {
  for (int i = 0; i < 3; ++i) RouteTo(MakeLead("B-" + std::to_string(i), "GB"));
  v1::ListAssignmentsRequest request;
  request.set_team_id("bulk");
  request.set_page_size(1);
  v1::ListAssignmentsResponse page;
  ASSERT_TRUE(List(request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  request.set_team_id("dach");  // a token for other filters
  request.set_page_token(page.next_page_token());
  grpc::Status status = List(request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_token:"));

  request.set_page_token("garbage!");
  EXPECT_EQ(List(request, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_token("");
  request.set_page_size(-1);
  status = List(request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_size:"));
}

}  // namespace
}  // namespace leadrouter::testing

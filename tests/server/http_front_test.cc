// The HTTP/JSON port of a real leadrouterd, driven by real clients: curl,
// Python's urllib and Node's fetch (the shipped examples in
// client/examples/http), and cpp-httplib's client for the exact answers;
// and webhook intake through the example config's mappings. Under TLS and
// auth: http_security_test.cc.
#include <atomic>
#include <barrier>
#include <cstdio>
#include <thread>
#include <vector>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/http_get.h"
#include "tests/server/http_test_helpers.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class HttpFrontTest : public DaemonTest {
 protected:
  void SetUp() override {
    PrepareDirs();
    WriteFile(config_path_, kServiceTestConfig);
    StartDaemon({"--http_listen=127.0.0.1:0", "--http_max_body_bytes=4096"});
    base_ = "http://" + daemon_->http_address();
    http_ = std::make_unique<httplib::Client>(base_);
    http_->set_read_timeout(30, 0);
  }

  httplib::Result PostJson(const std::string& path, const std::string& body) {
    return http_->Post(path.c_str(), body, "application/json");
  }

  std::string base_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HttpFrontTest, CurlRoutesReadsAndAcceptsALead) {
  std::string out;
  ASSERT_EQ(Shell(absl::StrCat("curl -sS --fail-with-body -X POST ", base_,
                             "/v1/leads:route -H 'Content-Type: "
                             "application/json' -d '{\"lead\": ",
                             LeadJson("curl-1"), "}'"),
                &out),
            0)
      << out;
  auto routed = FromJson<v1::RouteLeadResponse>(out);
  EXPECT_EQ(routed.assignment().state(), v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(routed.assignment().rule_id(), "dach");
  EXPECT_FALSE(routed.replayed());

  // The store holds exactly what the HTTP answer said (read over gRPC).
  v1::Assignment stored;
  ASSERT_TRUE(Get("curl-1", &stored).ok());
  EXPECT_EQ(stored.rep_id(), routed.assignment().rep_id());

  out.clear();
  ASSERT_EQ(Shell(absl::StrCat("curl -sS --fail-with-body ", base_,
                             "/v1/assignments/curl-1"),
                &out),
            0)
      << out;
  EXPECT_EQ(FromJson<v1::Assignment>(out).etag(), stored.etag());

  out.clear();
  ASSERT_EQ(Shell(absl::StrCat("curl -sS --fail-with-body -X POST ", base_,
                             "/v1/assignments/curl-1:accept -H "
                             "'Content-Type: application/json' -d "
                             "'{\"etag\": \"",
                             stored.etag(), "\"}'"),
                &out),
            0)
      << out;
  EXPECT_EQ(FromJson<v1::Assignment>(out).state(),
            v1::ASSIGNMENT_STATE_ACCEPTED);
  ASSERT_TRUE(Get("curl-1", &stored).ok());
  EXPECT_EQ(stored.state(), v1::ASSIGNMENT_STATE_ACCEPTED);

  // The old etag is stale now: 400 with the core's FAILED_PRECONDITION or
  // 409 ABORTED, never a second change.
  out.clear();
  EXPECT_NE(Shell(absl::StrCat("curl -sS --fail-with-body -X POST ", base_,
                             "/v1/assignments/curl-1:close -H "
                             "'Content-Type: application/json' -d "
                             "'{\"etag\": \"1\", \"outcome\": "
                             "\"CLOSE_OUTCOME_WON\"}'"),
                &out),
            0);
  EXPECT_THAT(out, HasSubstr("\"code\":"));
}

TEST_F(HttpFrontTest, PythonUrllibAndNodeFetchRouteThroughTheExamples) {
  std::string out;
  ASSERT_EQ(Shell(absl::StrCat("python3 ", LEADROUTER_SOURCE_DIR,
                             "/client/examples/http/route_lead.py ", base_,
                             " PY-1"),
                &out),
            0)
      << out;
  EXPECT_THAT(out, MatchesRegex("lead PY-1 -> rep (anna|ben) by rule dach "
                                "\\(cfg-[0-9a-f]+\\)\n"));
  out.clear();
  ASSERT_EQ(Shell(absl::StrCat(NODE_PATH, " ", LEADROUTER_SOURCE_DIR,
                             "/client/examples/http/route_lead.mjs ", base_,
                             " NODE-1 GB"),
                &out),
            0)
      << out;
  EXPECT_THAT(out, MatchesRegex("lead NODE-1 -> rep r[1-4] by rule bulk "
                                "\\(cfg-[0-9a-f]+\\); r[1-4] holds 1\n"));
  v1::Assignment stored;
  ASSERT_TRUE(Get("NODE-1", &stored).ok());
  EXPECT_EQ(stored.rule_id(), "bulk");
}

// One lead is one decision, whichever front it comes through first.
TEST_F(HttpFrontTest, TheSameLeadByHttpAndGrpcGetsOneDecision) {
  v1::RouteLeadResponse by_grpc;
  ASSERT_TRUE(Route(MakeLead("both-1", "GB"), &by_grpc).ok());
  auto again = PostJson("/v1/leads:route",
                        "{\"lead\": " + LeadJson("both-1", "GB") + "}");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  auto by_http = FromJson<v1::RouteLeadResponse>(again->body);
  EXPECT_TRUE(by_http.replayed());
  EXPECT_EQ(by_http.assignment().rep_id(), by_grpc.assignment().rep_id());
  EXPECT_EQ(by_http.assignment().etag(), by_grpc.assignment().etag());

  auto first = PostJson("/v1/leads:route",
                        "{\"lead\": " + LeadJson("both-2", "GB") + "}");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  v1::RouteLeadResponse replay;
  ASSERT_TRUE(Route(MakeLead("both-2", "GB"), &replay).ok());
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.assignment().rep_id(),
            FromJson<v1::RouteLeadResponse>(first->body).assignment().rep_id());
  // Two leads, two decisions: the rotation moved once per lead.
  v1::ListAssignmentsRequest all;
  all.set_team_id("bulk");
  v1::ListAssignmentsResponse page;
  ASSERT_TRUE(List(all, &page).ok());
  EXPECT_EQ(page.assignments_size(), 2);
}

TEST_F(HttpFrontTest, ListsByQueryParametersWithPages) {
  for (int i = 0; i < 5; ++i) {
    auto r = PostJson("/v1/leads:route",
                      "{\"lead\": " + LeadJson(absl::StrCat("gb-", i), "GB") +
                          "}");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  auto page = http_->Get(
      "/v1/assignments?team_id=bulk&state=ASSIGNMENT_STATE_ASSIGNED&pageSize=3");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  auto first = FromJson<v1::ListAssignmentsResponse>(page->body);
  EXPECT_EQ(first.assignments_size(), 3);
  ASSERT_FALSE(first.next_page_token().empty());
  auto rest = http_->Get(
      ("/v1/assignments?team_id=bulk&state=ASSIGNMENT_STATE_ASSIGNED&"
       "page_size=3&page_token=" +
       httplib::detail::encode_query_param(first.next_page_token()))
          .c_str());
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->status, 200) << rest->body;
  EXPECT_EQ(FromJson<v1::ListAssignmentsResponse>(rest->body)
                .assignments_size(),
            2);
}

// Every refusal is a JSON {code, message} with the right 4xx, names what
// is wrong, stores nothing, and the port keeps serving.
TEST_F(HttpFrontTest, BadRequestsGetJsonErrorsAndChangeNothing) {
  struct Case {
    std::string what, path, body, content_type;
    int status;
    std::string code, names;
  };
  const std::string good = "{\"lead\": " + LeadJson("bad-1") + "}";
  std::string big = "{\"lead\": {\"id\": \"bad-1\", \"fullName\": \"" +
                    std::string(5000, 'x') + "\"}}";
  const Case cases[] = {
      {"not JSON", "/v1/leads:route", "{\"lead\": ", "application/json", 400,
       "INVALID_ARGUMENT", "body"},
      {"unknown field", "/v1/leads:route",
       "{\"lead\": {\"id\": \"bad-1\", \"favouriteColour\": \"red\"}}",
       "application/json", 400, "INVALID_ARGUMENT", "favouriteColour"},
      {"wrong type", "/v1/leads:route", "{\"lead\": {\"score\": \"lots\"}}",
       "application/json", 400, "INVALID_ARGUMENT", "score"},
      {"invalid lead", "/v1/leads:route",
       "{\"lead\": {\"id\": \"bad-1\", \"countryCode\": \"DE\"}}",
       "application/json", 400, "INVALID_ARGUMENT", "lead.stage"},
      {"too large", "/v1/leads:route", big, "application/json", 413,
       "INVALID_ARGUMENT", "4096 bytes"},
      {"form post", "/v1/leads:route", good,
       "application/x-www-form-urlencoded", 415, "INVALID_ARGUMENT",
       "Content-Type"},
      {"no such route", "/v1/leads:teleport", good, "application/json", 404,
       "NOT_FOUND", "route"},
      {"path and body disagree", "/v1/assignments/bad-1:accept",
       "{\"leadId\": \"other\"}", "application/json", 400,
       "INVALID_ARGUMENT", "lead_id"},
      {"unknown lead", "/v1/assignments/bad-1:accept", "{}",
       "application/json", 404, "NOT_FOUND", "bad-1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = http_->Post(c.path.c_str(), c.body, c.content_type.c_str());
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    EXPECT_THAT(r->body, HasSubstr("\"code\":\"" + c.code + "\""));
    EXPECT_THAT(r->body, HasSubstr(c.names));
  }
  auto unknown = http_->Get("/v1/assignments?colour=red");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_THAT(unknown->body, HasSubstr("colour"));
  auto bad_state = http_->Get("/v1/assignments?state=HAPPY");
  ASSERT_TRUE(bad_state);
  EXPECT_EQ(bad_state->status, 400) << bad_state->body;

  // Nothing was stored, and the port still serves.
  v1::Assignment stored;
  EXPECT_EQ(Get("bad-1", &stored).error_code(), grpc::StatusCode::NOT_FOUND);
  auto ok = PostJson("/v1/leads:route", good);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

// cpp-httplib listens with a queue of 5; the front widens it, so a burst
// of new connections (a sender's worker pool starting up) is served whole.
TEST_F(HttpFrontTest, ABurstOfNewConnectionsIsServedWhole) {
  constexpr int kClients = 48;
  const int port =
      std::stoi(daemon_->http_address().substr(daemon_->http_address().rfind(':') + 1));
  std::barrier start(kClients);
  std::atomic<int> answered = 0;
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", port);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(60, 0);
      const std::string body =
          "{\"lead\": " + LeadJson(absl::StrCat("burst-", i), "GB") + "}";
      start.arrive_and_wait();  // every connect at once
      for (int round = 0; round < 2; ++round) {
        auto r = client.Post("/v1/leads:route", body, "application/json");
        if (r && r->status == 200) {
          ++answered;
        } else {
          failures[i] = r ? r->body : httplib::to_string(r.error());
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(answered.load(), 2 * kClients);
  for (const std::string& f : failures) EXPECT_EQ(f, "");
}

TEST_F(HttpFrontTest, RequestsAreCountedByRoutePatternNotByLead) {
  ASSERT_EQ(PostJson("/v1/leads:route",
                     "{\"lead\": " + LeadJson("m-1", "GB") + "}")
                ->status,
            200);
  ASSERT_EQ(http_->Get("/v1/assignments/m-1")->status, 200);
  ASSERT_EQ(http_->Get("/v1/assignments/never")->status, 404);
  auto scraped = HttpGet(daemon_->metrics_address(), "/metrics");
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  EXPECT_THAT(*scraped,
              HasSubstr("leadrouter_http_requests_total{code=\"200\",route=\"/"
                        "v1/leads:route\"} 1"));
  EXPECT_THAT(*scraped, HasSubstr("leadrouter_http_requests_total{code=\"404\","
                                  "route=\"/v1/assignments/{lead_id}\"} 1"));
  // The lead counters are the core's, whichever front routed.
  EXPECT_THAT(*scraped, HasSubstr("leadrouter_leads_total{outcome=\"assigned\""));
  EXPECT_THAT(*scraped, ::testing::Not(HasSubstr("m-1")));
}

// The example config's two intake mappings take their sample bodies
// (deploy/config/intake/) as the README shows.
TEST(HttpIntake, TheShippedExampleMappingsRouteTheirSampleBodies) {
  const std::string dir = MakeTempDir("HttpIntake.Examples");
  const std::string source = LEADROUTER_SOURCE_DIR;
  std::string log;
  auto daemon = DaemonProcess::Start(source + "/deploy/config/example.yaml",
                                     dir + "/data",
                                     {"--http_listen=127.0.0.1:0"}, &log);
  ASSERT_NE(daemon, nullptr) << log;
  const std::string post = absl::StrCat(
      "curl -sS -w ' %{http_code}' -X POST -H 'Content-Type: "
      "application/json' http://",
      daemon->http_address(), "/v1/intake/");
  std::string out;
  ASSERT_EQ(Shell(post + "web-form --data-binary @" + source +
                      "/deploy/config/intake/web-form.json",
                  &out),
            0);
  ASSERT_THAT(out, HasSubstr(" 200")) << out;
  auto form = FromJson<v1::RouteLeadResponse>(out.substr(0, out.rfind(' ')));
  EXPECT_EQ(form.assignment().lead_id(), "form-20261202-0042");
  // Sales qualified (by the value map), from Munich: the DACH team.
  EXPECT_EQ(form.assignment().team_id(), "dach");
  EXPECT_EQ(form.assignment().trace().company_domain(), "example-retail.com");

  out.clear();
  ASSERT_EQ(Shell(post + "crm-contact --data-binary @" + source +
                      "/deploy/config/intake/crm-contact.json",
                  &out),
            0);
  ASSERT_THAT(out, HasSubstr(" 200")) << out;
  auto contact = FromJson<v1::RouteLeadResponse>(out.substr(0, out.rfind(' ')));
  EXPECT_EQ(contact.assignment().lead_id(), "5120031");
  EXPECT_EQ(contact.assignment().rule_id(), "uk-ie");
  EXPECT_EQ(contact.assignment().trace().company_domain(),
            "acme-logistics.co.uk");

  // The sender retries the same webhook: one lead, one decision.
  out.clear();
  ASSERT_EQ(Shell(post + "crm-contact --data-binary @" + source +
                      "/deploy/config/intake/crm-contact.json",
                  &out),
            0);
  auto again = FromJson<v1::RouteLeadResponse>(out.substr(0, out.rfind(' ')));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.assignment().rep_id(), contact.assignment().rep_id());

  // A body the mapping cannot fill: 400 naming the path; nothing stored.
  out.clear();
  ASSERT_EQ(Shell(post + "crm-contact -d '{\"objectId\": 99, "
                      "\"properties\": {\"lifecyclestage\": {\"value\": "
                      "\"salesqualifiedlead\"}}}'",
                  &out),
            0);
  EXPECT_THAT(out, HasSubstr("body.properties.email.value: is required"));
  EXPECT_THAT(out, HasSubstr(" 400"));
  out.clear();
  ASSERT_EQ(Shell(absl::StrCat("curl -sS -w ' %{http_code}' http://",
                               daemon->http_address(), "/v1/assignments/99"),
                  &out),
            0);
  EXPECT_THAT(out, HasSubstr(" 404"));
  out.clear();
  ASSERT_EQ(Shell(post + "no-such-sender -d '{}'", &out), 0);
  EXPECT_THAT(out, HasSubstr("no intake mapping \\\"no-such-sender\\\""));
  EXPECT_THAT(out, HasSubstr(" 404"));
  EXPECT_EQ(daemon->Terminate(), 0);
}

TEST(HttpFrontFlags, PlaintextOnANonLoopbackAddressIsRefused) {
  const std::string dir = MakeTempDir("HttpFrontFlags.Plaintext");
  WriteFile(dir + "/routing.yaml", kServiceTestConfig);
  std::string log;
  EXPECT_EQ(DaemonProcess::RunToExit({"--config=" + dir + "/routing.yaml",
                                      "--data_dir=" + dir + "/data",
                                      "--listen=127.0.0.1:0",
                                      "--metrics_listen=",
                                      "--http_listen=0.0.0.0:0"},
                                     &log),
            1);
  EXPECT_THAT(log, HasSubstr("http_listen_failed"));
  EXPECT_THAT(log, HasSubstr("plaintext on the non-loopback address"));
}

}  // namespace
}  // namespace leadrouter::testing

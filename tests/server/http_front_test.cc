// The HTTP/JSON port of a real leadrouterd, driven by real clients: curl,
// Python's urllib and Node's fetch (the shipped examples in
// client/examples/http), and cpp-httplib's client for the exact answers.
#include <atomic>
#include <barrier>
#include <cstdio>
#include <filesystem>
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
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Runs a shell command; its exit code, with stdout and stderr in `output`.
int Shell(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output->append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The proto3 JSON of a lead that routes to team dach.
std::string LeadJson(const std::string& id, const std::string& country = "DE") {
  std::string json;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(MakeLead(id, country), &json)
          .ok());
  return json;
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message m;
  auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in " << json;
  return m;
}

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

// The HTTP port takes the gRPC port's TLS files and principals.
class SecureHttpFrontTest : public SecureDaemonTest {
 protected:
  // The HTTP status and body of `method path` with `token` over TLS.
  std::pair<int, std::string> Call(const std::string& method,
                                   const std::string& path,
                                   const std::string& token,
                                   const std::string& body = "") {
    httplib::SSLClient client("127.0.0.1", Port());
    client.set_ca_cert_path(certs_.ca.c_str());
    client.enable_server_certificate_verification(true);
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r =
        method == "GET"
            ? client.Get(path.c_str(), headers)
            : client.Post(path.c_str(), headers, body, "application/json");
    if (!r) return {-1, httplib::to_string(r.error())};
    return {r->status, r->body};
  }

  int Port() {
    const std::string& a = daemon_->http_address();
    return std::stoi(a.substr(a.rfind(':') + 1));
  }
};

TEST_F(SecureHttpFrontTest, TokensAndRolesAreThoseOfTheGrpcPort) {
  StartSecure({"--http_listen=127.0.0.1:0"});
  const std::string lead = "{\"lead\": " + LeadJson("sec-1") + "}";
  auto [none, none_body] = Call("POST", "/v1/leads:route", "", lead);
  EXPECT_EQ(none, 401) << none_body;
  EXPECT_THAT(none_body, HasSubstr("UNAUTHENTICATED"));
  auto [wrong, wrong_body] = Call("POST", "/v1/leads:route", "tok-nobody", lead);
  EXPECT_EQ(wrong, 401) << wrong_body;
  EXPECT_THAT(wrong_body, ::testing::Not(HasSubstr("tok-nobody")));
  auto [reader, reader_body] =
      Call("POST", "/v1/leads:route", Tokens().at("reader"), lead);
  EXPECT_EQ(reader, 403) << reader_body;
  EXPECT_THAT(reader_body, HasSubstr("RouteLead"));
  auto [router, router_body] =
      Call("POST", "/v1/leads:route", Tokens().at("router"), lead);
  ASSERT_EQ(router, 200) << router_body;
  auto routed = FromJson<v1::RouteLeadResponse>(router_body);
  auto [read, read_body] =
      Call("GET", "/v1/assignments/sec-1", Tokens().at("reader"));
  EXPECT_EQ(read, 200) << read_body;

  // The worker bound to anna works anna's leads only.
  const std::string accept = "{\"etag\": \"" + routed.assignment().etag() + "\"}";
  auto [worked, worked_body] = Call("POST", "/v1/assignments/sec-1:accept",
                                    Tokens().at("worker"), accept);
  if (routed.assignment().rep_id() == "anna") {
    EXPECT_EQ(worked, 200) << worked_body;
  } else {
    EXPECT_EQ(worked, 403) << worked_body;
    EXPECT_THAT(worked_body, HasSubstr("works only the leads of its reps"));
  }

  // Plaintext HTTP to the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", Port());
  plain.set_read_timeout(10, 0);
  auto r = plain.Get("/v1/assignments/sec-1");
  EXPECT_TRUE(!r || r->status != 200);
}

// A sender known by a shared secret signs each request; the README's
// curl + openssl recipe is what this test runs.
TEST_F(SecureHttpFrontTest, ASignedIntakeIsItsSendersAndStaleOrForgedOnesAreNot) {
  const std::string secret = "9f3c1b7e5a2d48e6b0c4f7a1d3e5b7c9f1a3c5e7";
  WriteFile(dir_ + "/forms.secret", secret + "\n");
  WriteFile(auth_path_, AuthYamlFor(Tokens()) +
                            "  - name: web-forms\n"
                            "    signing_secret_file: forms.secret\n"
                            "    roles: [router]\n");
  WriteFile(config_path_,
            std::string(kServiceTestConfig) +
                "intake_mappings:\n"
                "  - id: form\n"
                "    fields:\n"
                "      - { lead: id, path: id }\n"
                "      - { lead: email, path: email }\n"
                "      - { lead: country_code, path: country }\n"
                "      - { lead: stage, value: sql }\n");
  StartSecure({"--http_listen=127.0.0.1:0"});
  WriteFile(dir_ + "/body.json",
            "{\"id\": \"signed-1\", \"email\": \"kim@acme.example\", "
            "\"country\": \"DE\"}\n");
  // Signs body.json at `age` seconds ago (the shell's clock) and posts it
  // (or `posted`, to tamper with the body after signing).
  auto post = [&](int age, const std::string& posted) {
    std::string out;
    Shell(absl::StrCat(
              "cd ", dir_, " && ts=$(( $(date +%s) - ", age, " )) && ",
              "sig=$({ printf '%s.' \"$ts\"; cat body.json; } | openssl dgst "
              "-sha256 -hmac \"$(cat forms.secret)\" -r | cut -d' ' -f1) && ",
              "curl -sS -w ' %{http_code}' --cacert ", certs_.ca,
              " -H 'Content-Type: application/json' ",
              "-H \"X-Leadrouter-Timestamp: $ts\" ",
              "-H \"X-Leadrouter-Signature: v1=$sig\" --data-binary @",
              posted, " https://", daemon_->http_address(),
              "/v1/intake/form"),
          &out);
    return out;
  };
  const std::string signed_now = post(0, "body.json");
  EXPECT_THAT(signed_now, HasSubstr(" 200"));
  EXPECT_THAT(signed_now, HasSubstr("\"leadId\":\"signed-1\""));

  // Ten minutes old: refused, however good the signature.
  const std::string stale = post(600, "body.json");
  EXPECT_THAT(stale, HasSubstr(" 401"));
  EXPECT_THAT(stale, HasSubstr("x-leadrouter-timestamp: more than 5 minutes"));

  // The body changed after signing.
  WriteFile(dir_ + "/forged.json",
            "{\"id\": \"signed-2\", \"email\": \"kim@acme.example\", "
            "\"country\": \"DE\"}\n");
  const std::string forged = post(0, "forged.json");
  EXPECT_THAT(forged, HasSubstr(" 401"));
  EXPECT_THAT(forged, HasSubstr("matches no signing secret"));
  v1::Assignment stored;
  auto assignments = v1::AssignmentService::NewStub(channel_);
  grpc::ClientContext context;
  Authorize(context, Tokens().at("reader"));
  v1::GetAssignmentRequest get;
  get.set_lead_id("signed-2");
  EXPECT_EQ(assignments->GetAssignment(&context, get, &stored).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A malformed header, and a signature on a route its roles do not cover.
  auto [bad, bad_body] = Call("POST", "/v1/intake/form", "", "{}");
  EXPECT_EQ(bad, 401) << bad_body;
  httplib::SSLClient client("127.0.0.1", Port());
  client.set_ca_cert_path(certs_.ca.c_str());
  const std::string empty;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  httplib::Headers headers = {
      {"X-Leadrouter-Timestamp", absl::StrCat(now)},
      {"X-Leadrouter-Signature", server::SignatureHeader(secret, now, empty)}};
  auto list = client.Get("/v1/assignments", headers);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 403) << list->body;
  EXPECT_THAT(list->body, HasSubstr("web-forms"));

  // The secret is in no answer and no log line.
  for (const std::string& text :
       {signed_now, stale, forged, bad_body, daemon_->Log()}) {
    EXPECT_THAT(text, ::testing::Not(HasSubstr(secret)));
  }
}

TEST_F(SecureHttpFrontTest, AReplacedCertificateIsServedWithoutARestart) {
  std::vector<std::string> flags = SwappableTlsFlags();
  flags.push_back("--auth_config=" + auth_path_);
  flags.push_back("--http_listen=127.0.0.1:0");
  std::string log;
  daemon_ = DaemonProcess::Start(config_path_, data_dir_, flags, &log);
  ASSERT_NE(daemon_, nullptr) << log;
  // The HTTP status curl gets trusting `ca` (000: the handshake failed).
  auto status_with = [&](const std::string& ca) {
    std::string out;
    Shell(absl::StrCat("curl -s -o /dev/null -w '%{http_code}' --cacert ", ca,
                       " -H 'Authorization: Bearer ", Tokens().at("reader"),
                       "' https://", daemon_->http_address(),
                       "/v1/assignments/none"),
          &out);
    return out;
  };
  EXPECT_EQ(status_with(certs_.ca), "404");
  EXPECT_EQ(status_with(certs_.other_ca), "000");

  SwapToOtherCa();
  // Each attempt is a new connection, so a new handshake.
  std::string after;
  for (int i = 0; i < 300 && (after = status_with(certs_.other_ca)) != "404";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(after, "404");
  EXPECT_EQ(status_with(certs_.ca), "000");
  EXPECT_EQ(daemon_->Terminate(), 0);
}

TEST_F(SecureHttpFrontTest, AClientCertificateIsAPrincipal) {
  StartSecure({"--http_listen=127.0.0.1:0",
               "--tls_client_ca=" + certs_.client_ca});
  std::string out;
  // crm-plugin (CN=crm-plugin) may read, not route.
  const std::string curl = absl::StrCat(
      "curl -sS -o /dev/stdout -w ' %{http_code}' --cacert ", certs_.ca,
      " --cert ", certs_.client_cert, " --key ", certs_.client_key,
      " https://", daemon_->http_address());
  ASSERT_EQ(Shell(curl + "/v1/assignments/none", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(out, HasSubstr(" 404"));
  out.clear();
  ASSERT_EQ(Shell(curl + "/v1/leads:route -H 'Content-Type: application/json' "
                       "-d '{}'",
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(" 403"));
  // Without a certificate the handshake itself fails (mutual TLS).
  out.clear();
  EXPECT_NE(Shell(absl::StrCat("curl -sS --cacert ", certs_.ca, " https://",
                             daemon_->http_address(), "/v1/assignments/none"),
                &out),
            0)
      << out;
}

}  // namespace
}  // namespace leadrouter::testing

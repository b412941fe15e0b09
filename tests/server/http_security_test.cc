// The HTTP port under TLS and an auth config: the gRPC port's tokens,
// roles, client certificates and replaced key pairs hold here too, and a
// sender can be known by a signature of each request (signed intake).
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "server/auth/authorizer.h"
#include "tests/server/http_test_helpers.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

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

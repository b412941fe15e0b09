// The auth config file and the authorizer, in-process: what a broken file
// reports, who a set of credentials is, and what each role may call. The
// same rules over a real server are in security_test.cc.
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "server/auth/auth_file.h"
#include "server/auth/authorizer.h"
#include "server/auth/method_roles.h"

namespace leadrouter::server {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRouterToken[] = "router-token-0123456789";
constexpr char kWorkerToken[] = "worker-token-abcdefghij";

std::string AuthYaml() {
  return "principals:\n"
         "  - name: marketing\n"
         "    token_sha256: " + TokenDigestHex(kRouterToken) + "\n"
         "    roles: [router]\n"
         "  - name: anna-inbox\n"
         "    token_sha256: " + TokenDigestHex(kWorkerToken) + "\n"
         "    roles: [worker, reader]\n"
         "    rep_ids: [anna]\n"
         "  - name: crm-plugin\n"
         "    certificate_names: [\"CN=crm-plugin\"]\n"
         "    roles: [admin]\n";
}

Authorizer MakeAuthorizer() {
  auto config = ParseAuthYaml(AuthYaml(), "auth.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
  return Authorizer(*config);
}

CallerCredentials Header(const std::string& authorization) {
  CallerCredentials c;
  c.authorization = authorization;
  return c;
}

CallerCredentials Bearer(const std::string& token) {
  return Header("Bearer " + token);
}

CallerCredentials Certificate(std::vector<std::string> names) {
  CallerCredentials c;
  c.certificate_names = std::move(names);
  return c;
}

CallerCredentials Peer(bool loopback) {
  CallerCredentials c;
  c.loopback = loopback;
  return c;
}

TEST(AuthFileTest, TheDigestOfAKnownTokenIsItsSha256) {
  // sha256("test"), as `printf test | sha256sum` prints it.
  EXPECT_EQ(TokenDigestHex("test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST(AuthFileTest, EveryProblemIsListedWithLineColumnAndField) {
  const std::string yaml =
      "principals:\n"
      "  - name: a\n"
      "    token_sha256: not-hex\n"
      "    roles: [router]\n"
      "  - name: a\n"
      "    certificate_names: [\"CN=x\"]\n"
      "    roles: [sales]\n"
      "  - name: b\n"
      "    roles: [reader]\n"
      "    rep_ids: [anna]\n";
  auto config = ParseAuthYaml(yaml, "auth.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string m(config.status().message());
  EXPECT_THAT(m, HasSubstr("auth.yaml:7:13: principals[1].roles[0]"));
  // Structural errors come first; fix those and the rest are reported.
  auto second = ParseAuthYaml(
      "principals:\n"
      "  - name: a\n"
      "    token_sha256: not-hex\n"
      "    roles: [router]\n"
      "  - name: a\n"
      "    certificate_names: [\"CN=x\"]\n"
      "    roles: [admin]\n"
      "  - name: b\n"
      "    roles: [reader]\n"
      "    rep_ids: [anna]\n",
      "auth.yaml");
  ASSERT_FALSE(second.ok());
  const std::string m2(second.status().message());
  EXPECT_THAT(m2, HasSubstr("auth.yaml: the auth config has 4 errors"));
  EXPECT_THAT(m2, HasSubstr("auth.yaml:3:19: principals[0].token_sha256: "
                            "must be 64 lower-case hex digits"));
  EXPECT_THAT(m2, HasSubstr("auth.yaml:5:11: principals[1].name: \"a\" is "
                            "used twice"));
  EXPECT_THAT(m2, HasSubstr("principals[2]: needs token_sha256, "
                            "certificate_names or signing_secret_file"));
  EXPECT_THAT(m2, HasSubstr("auth.yaml:10:14: principals[2].rep_ids: binds "
                            "the worker role to reps"));
}

TEST(AuthFileTest, BrokenYamlAndUnknownKeysNameTheirPlace) {
  auto broken = ParseAuthYaml("principals: [\n  - name: x", "auth.yaml");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()),
              HasSubstr("auth.yaml:"));
  auto unknown = ParseAuthYaml(
      "principals:\n  - name: x\n    token: secret-value\n    roles: [router]\n",
      "auth.yaml");
  ASSERT_FALSE(unknown.ok());
  const std::string m(unknown.status().message());
  EXPECT_THAT(m, HasSubstr("auth.yaml:3:5: principals[0].token: unknown "
                           "field \"token\""));
  EXPECT_THAT(m, Not(HasSubstr("secret-value")));
}

TEST(AuthFileTest, AMissingFileIsNotFound) {
  EXPECT_EQ(LoadAuthFile("/nonexistent/auth.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

// A signing secret lives in its own file, named relative to the auth
// file; one that is missing or short refuses the whole file.
TEST(AuthFileTest, SigningSecretFilesAreCheckedWhenTheFileLoads) {
  const std::string dir = ::testing::TempDir() + "/auth_signing";
  std::filesystem::create_directories(dir);
  auto write = [](const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  };
  const std::string yaml =
      "principals:\n"
      "  - name: forms\n"
      "    signing_secret_file: forms.secret\n"
      "    roles: [router]\n";
  write(dir + "/auth.yaml", yaml);
  std::filesystem::remove(dir + "/forms.secret");
  auto missing = LoadAuthFile(dir + "/auth.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("principals[0].signing_secret_file: the secret file "
                        "cannot be read"));
  write(dir + "/forms.secret", "short\n");
  auto short_secret = LoadAuthFile(dir + "/auth.yaml");
  ASSERT_FALSE(short_secret.ok());
  EXPECT_THAT(short_secret.status().message(),
              HasSubstr("holds 5 bytes; at least 32"));
  EXPECT_THAT(short_secret.status().message(), Not(HasSubstr("short")));
  const std::string secret(40, 's');
  write(dir + "/forms.secret", secret + "\n");
  auto loaded = LoadAuthFile(dir + "/auth.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->principals(0).signing_secret_file(),
            dir + "/forms.secret");

  // The authorizer knows the sender by a signature of this body at this
  // time, and by nothing else.
  Authorizer authorizer(*loaded);
  const std::string body = "{\"id\": \"f-1\"}";
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  CallerCredentials signed_now;
  signed_now.signature_timestamp = "1800000000";
  signed_now.signature = SignatureHeader(secret, 1800000000, body);
  signed_now.signed_body = &body;
  signed_now.arrived_at = now;
  auto d = authorizer.Authorize(signed_now, "/leadrouter.v1.LeadRouter/RouteLead");
  EXPECT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.caller.principal, "forms");

  CallerCredentials later = signed_now;
  later.arrived_at = now + absl::Minutes(5) + absl::Seconds(1);
  EXPECT_THAT(authorizer.Authorize(later, "/leadrouter.v1.LeadRouter/RouteLead")
                  .status.message(),
              HasSubstr("more than 5 minutes"));
  CallerCredentials early = signed_now;
  early.arrived_at = now - absl::Minutes(6);
  EXPECT_EQ(authorizer.Authorize(early, "/leadrouter.v1.LeadRouter/RouteLead")
                .status.code(),
            absl::StatusCode::kUnauthenticated);
  const std::string other = "{\"id\": \"f-2\"}";
  CallerCredentials forged = signed_now;
  forged.signed_body = &other;
  EXPECT_THAT(
      authorizer.Authorize(forged, "/leadrouter.v1.LeadRouter/RouteLead")
          .status.message(),
      HasSubstr("matches no signing secret"));
  CallerCredentials garbled = signed_now;
  garbled.signature = "sha256=zz";
  EXPECT_THAT(
      authorizer.Authorize(garbled, "/leadrouter.v1.LeadRouter/RouteLead")
          .status.message(),
      HasSubstr("x-leadrouter-signature: expected"));
  // Signing does not widen the roles.
  EXPECT_EQ(authorizer
                .Authorize(signed_now,
                           "/leadrouter.v1.AssignmentService/GetAssignment")
                .status.code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuthorizerTest, ATokenIsItsPrincipalWithItsRolesOnly) {
  Authorizer authorizer = MakeAuthorizer();
  auto ok = authorizer.Authorize(Bearer(kRouterToken),
                                 "/leadrouter.v1.LeadRouter/RouteLead");
  EXPECT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_EQ(ok.caller.principal, "marketing");

  auto denied = authorizer.Authorize(
      Bearer(kRouterToken), "/leadrouter.v1.RoutingAdmin/ApplyConfig");
  EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.caller.principal, "marketing");
  EXPECT_THAT(std::string(denied.status.message()),
              AllOf(HasSubstr("/leadrouter.v1.RoutingAdmin/ApplyConfig"),
                    HasSubstr("needs the admin role"),
                    Not(HasSubstr(kRouterToken))));
}

TEST(AuthorizerTest, UnknownOrMalformedTokensAreUnauthenticatedWithoutEcho) {
  Authorizer authorizer = MakeAuthorizer();
  for (const std::string& header :
       {std::string("Bearer wrong-token-123"), std::string("Basic abc"),
        std::string("Bearer "), std::string("bearer ") + kRouterToken,
        std::string("Bearer ") + std::string(5000, 'x')}) {
    auto d = authorizer.Authorize(Header(header),
                                  "/leadrouter.v1.LeadRouter/RouteLead");
    EXPECT_EQ(d.status.code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_EQ(d.caller.principal, "unauthenticated");
    EXPECT_THAT(std::string(d.status.message()),
                AllOf(Not(HasSubstr("wrong-token")), Not(HasSubstr("xxxx")),
                      Not(HasSubstr(kRouterToken))));
  }
  auto none = authorizer.Authorize({}, "/leadrouter.v1.LeadRouter/RouteLead");
  EXPECT_EQ(none.status.code(), absl::StatusCode::kUnauthenticated);
}

TEST(AuthorizerTest, AVerifiedCertificateNameIsItsPrincipal) {
  Authorizer authorizer = MakeAuthorizer();
  auto d = authorizer.Authorize(
      Certificate({"CN=crm-plugin", "crm.example.test"}),
      "/leadrouter.v1.RoutingAdmin/ApplyConfig");
  EXPECT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.caller.principal, "crm-plugin");
  auto stranger = authorizer.Authorize(Certificate({"CN=other"}),
                                       "/leadrouter.v1.RoutingAdmin/GetConfig");
  EXPECT_EQ(stranger.status.code(), absl::StatusCode::kUnauthenticated);
}

TEST(AuthorizerTest, AWorkerBoundToRepsCarriesThemAndReflectionNeedsAnyone) {
  Authorizer authorizer = MakeAuthorizer();
  auto d = authorizer.Authorize(
      Bearer(kWorkerToken), "/leadrouter.v1.AssignmentService/AcceptAssignment");
  ASSERT_TRUE(d.status.ok());
  EXPECT_THAT(d.caller.rep_ids, ::testing::ElementsAre("anna"));
  const char* reflection =
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_TRUE(authorizer.Authorize(Bearer(kRouterToken), reflection).status.ok());
  EXPECT_EQ(authorizer.Authorize({}, reflection).status.code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(authorizer.Authorize(Bearer(kRouterToken), "/x.Y/Z").status.code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuthorizerTest, ReplaceTakesEffectForTheNextCall) {
  Authorizer authorizer = MakeAuthorizer();
  leadrouter::v1::AuthConfig next;
  auto* p = next.add_principals();
  p->set_name("new");
  p->set_token_sha256(TokenDigestHex("new-token"));
  p->add_roles(leadrouter::v1::ROLE_READER);
  authorizer.Replace(next);
  EXPECT_EQ(authorizer
                .Authorize(Bearer(kRouterToken),
                           "/leadrouter.v1.LeadRouter/RouteLead")
                .status.code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(authorizer
                .Authorize(Bearer("new-token"),
                           "/leadrouter.v1.RoutingAdmin/GetConfig")
                .caller.principal,
            "new");
}

TEST(AuthorizerTest, WithoutAConfigOnlyLoopbackCallersAreServed) {
  Authorizer authorizer(std::nullopt);
  auto local = authorizer.Authorize(Peer(true),
                                    "/leadrouter.v1.RoutingAdmin/ApplyConfig");
  EXPECT_TRUE(local.status.ok());
  EXPECT_EQ(local.caller.principal, "anonymous");
  EXPECT_EQ(authorizer.Authorize(Peer(false),
                                 "/leadrouter.v1.LeadRouter/RouteLead")
                .status.code(),
            absl::StatusCode::kUnauthenticated);
}

// Deny by default: a method without a role is refused to everyone, so a
// new RPC must be given one here before anyone can call it.
TEST(MethodRolesTest, EveryMethodOfEveryServiceHasARoleAndNoOtherIsListed) {
  std::set<std::string> methods;
  // Every service of every file that defines the API.
  for (const auto* file :
       {leadrouter::v1::RouteLeadRequest::descriptor()->file(),
        leadrouter::v1::GetAssignmentRequest::descriptor()->file(),
        leadrouter::v1::GetConfigRequest::descriptor()->file()}) {
    ASSERT_GT(file->service_count(), 0) << file->name();
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* d = file->service(s);
      for (int i = 0; i < d->method_count(); ++i) {
        const std::string name =
            "/" + d->full_name() + "/" + d->method(i)->name();
        methods.insert(name);
        EXPECT_TRUE(RequiredRole(name).has_value()) << name << " has no role";
      }
    }
  }
  for (const auto& [name, role] : MethodRoles()) {
    EXPECT_TRUE(methods.contains(name)) << name << " is no method";
    EXPECT_NE(role, leadrouter::v1::ROLE_UNSPECIFIED) << name;
  }
  EXPECT_EQ(methods.size(), MethodRoles().size());
}

}  // namespace
}  // namespace leadrouter::server

// The clients against a server with TLS and auth on, end to end: leadctl
// makes a token, the admin adds its entry to the auth file, and leadctl
// (token from a file or the environment, CA file) and leadrouter::Client
// (token, CA, client certificate for mutual TLS) use it.
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct ShellRun {
  int exit_code = -1;
  std::string out;
};

// Runs `command` in a shell, capturing stdout.
ShellRun Shell(const std::string& command) {
  ShellRun run;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

using SecureClientTest = SecureDaemonTest;

TEST_F(SecureClientTest, LeadctlMakesATokenThatWorksOnceItsEntryIsAdded) {
  ShellRun made = Shell(absl::StrCat(LEADCTL_PATH,
                                " token new --name=ops --role=admin,reader,router"));
  ASSERT_EQ(made.exit_code, 0);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(made.out, m, std::regex("\n  (lrt_[A-Za-z0-9_-]{43})\n")))
      << made.out;
  const std::string token = m[1];
  const size_t entry = made.out.find("  - name: ops");
  ASSERT_NE(entry, std::string::npos);
  EXPECT_THAT(made.out.substr(entry), Not(HasSubstr(token)));
  // Two runs never give the same token.
  EXPECT_THAT(Shell(absl::StrCat(LEADCTL_PATH,
                                 " token new --name=ops --role=admin")).out,
              Not(HasSubstr(token)));

  WriteFile(auth_path_, AuthYamlFor(Tokens()) + made.out.substr(entry));
  StartSecure();
  WriteFile(dir_ + "/token", token + "\n");
  const std::string base = absl::StrCat(LEADCTL_PATH, " --server=",
                                        daemon_->address(),
                                        " --ca_file=", certs_.ca);

  ShellRun routed = Shell(base + " --token_file=" + dir_ +
                     "/token route --id=T-1 --country=DE");
  EXPECT_EQ(routed.exit_code, 0) << routed.out;
  EXPECT_THAT(routed.out, HasSubstr("lead T-1 -> rep"));
  ShellRun env = Shell("LEADROUTER_TOKEN=" + token + " " + base + " config get");
  EXPECT_EQ(env.exit_code, 0);
  const std::string first_version =
      env.out.substr(env.out.find("cfg-"), 20);

  // No token: exit code 7 and the reason; a plaintext attempt: unavailable.
  ShellRun anonymous = Shell(base + " get T-1 2>&1");
  EXPECT_EQ(anonymous.exit_code, 7);
  EXPECT_THAT(anonymous.out, HasSubstr("UNAUTHENTICATED"));
  ShellRun plaintext = Shell(absl::StrCat(LEADCTL_PATH, " --server=",
                                     daemon_->address(), " --timeout=3s",
                                     " --token_file=", dir_, "/token get T-1"));
  EXPECT_EQ(plaintext.exit_code, 5);

  // A change, the audit trail, and a rollback, all through leadctl.
  const std::string admin = base + " --token_file=" + dir_ + "/token ";
  EXPECT_EQ(Shell(admin + "set-rep anna --capacity=9").exit_code, 0);
  ShellRun audit = Shell(admin + "audit");
  EXPECT_EQ(audit.exit_code, 0);
  EXPECT_THAT(audit.out, HasSubstr("ops  ipv4:127.0.0.1"));
  EXPECT_THAT(audit.out, HasSubstr("SetRepAvailability  rep:anna  OK"));
  EXPECT_THAT(audit.out, Not(HasSubstr(token)));
  ShellRun rollback = Shell(admin + "config rollback " + first_version);
  EXPECT_EQ(rollback.exit_code, 0) << rollback.out;
  EXPECT_THAT(rollback.out, HasSubstr("rolled back to " + first_version));
  EXPECT_THAT(Shell(admin + "config get").out, HasSubstr(first_version));
  EXPECT_THAT(Shell(admin + "audit --principal=ops").out,
              HasSubstr("rollback to " + first_version));
}

TEST_F(SecureClientTest, TheClientLibraryUsesTokensCasAndClientCertificates) {
  StartSecure({"--tls_client_ca=" + certs_.client_ca});
  ClientOptions options;
  options.address = daemon_->address();
  options.tls = true;
  options.tls_root_certs = ReadFile(certs_.ca);
  options.tls_client_cert = ReadFile(certs_.client_cert);
  options.tls_client_key = ReadFile(certs_.client_key);
  options.max_attempts = 1;
  {
    // The certificate alone is crm-plugin (reader, admin): it may read the
    // config but not route.
    Client client(options);
    auto config = client.GetConfig();
    EXPECT_TRUE(config.ok()) << config.status();
    auto routed = client.Route(MakeLead("C-1", "DE"));
    EXPECT_EQ(routed.status().code(), absl::StatusCode::kPermissionDenied);
  }
  {
    // A token names the principal: the router.
    options.bearer_token = Tokens().at("router");
    Client client(options);
    auto routed = client.Route(MakeLead("C-1", "DE"));
    EXPECT_TRUE(routed.ok()) << routed.status();
  }
  {
    // Without the client certificate there is no connection.
    options.tls_client_cert.clear();
    options.tls_client_key.clear();
    options.timeout = absl::Seconds(5);
    Client client(options);
    EXPECT_EQ(client.Route(MakeLead("C-2", "DE")).status().code(),
              absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace leadrouter::testing

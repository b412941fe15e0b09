// TLS on the gRPC port, with real certificates made by openssl: what
// handshakes fail, mutual TLS, a certificate replaced while serving, and
// the refusal to serve plaintext beyond loopback.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

grpc::Status GetConfig(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& token,
                       v1::GetConfigResponse* out = nullptr) {
  auto admin = v1::RoutingAdmin::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::GetConfigResponse response;
  grpc::Status s = admin->GetConfig(&context, {}, &response);
  if (out != nullptr) *out = response;
  return s;
}

using TlsTest = SecureDaemonTest;

TEST_F(TlsTest, OnlyATlsClientTrustingTheServersCaGetsThrough) {
  StartSecure();
  const std::string& reader = Tokens().at("reader");
  EXPECT_TRUE(GetConfig(channel_, reader).ok());

  auto plaintext = grpc::CreateChannel(daemon_->address(),
                                       grpc::InsecureChannelCredentials());
  EXPECT_EQ(GetConfig(plaintext, reader).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto wrong_ca = TlsChannel(daemon_->address(), certs_.other_ca);
  EXPECT_EQ(GetConfig(wrong_ca, reader).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // TLS is not authentication: without a token the call is refused.
  EXPECT_EQ(GetConfig(channel_, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Whether openssl s_client completes a handshake at `version` ("-tls1_1"),
// with the client's own floor lowered so only the server can refuse.
bool Handshakes(const std::string& address, const std::string& ca,
                const std::string& version) {
  const std::string command =
      "openssl s_client -connect " + address + " -CAfile " + ca +
      " -alpn h2 " + version + " -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  // "New, TLSv1.2, Cipher is ECDHE-..." for a session, "(NONE)" for none.
  return std::regex_search(out, std::regex("New, TLSv1\\.[0-9], Cipher is [A-Z]"));
}

TEST_F(TlsTest, OnlyTls12AndLaterAreSpoken) {
  StartSecure();
  EXPECT_TRUE(Handshakes(daemon_->address(), certs_.ca, "-tls1_2"));
  EXPECT_TRUE(Handshakes(daemon_->address(), certs_.ca, "-tls1_3"));
  EXPECT_FALSE(Handshakes(daemon_->address(), certs_.ca, "-tls1_1"));
  EXPECT_FALSE(Handshakes(daemon_->address(), certs_.ca, "-tls1"));
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutACertificateFromTheClientCa) {
  StartSecure({"--tls_client_ca=" + certs_.client_ca});
  // No client certificate, even with a valid token: no handshake.
  EXPECT_EQ(GetConfig(channel_, Tokens().at("reader")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto stranger = TlsChannel(daemon_->address(), certs_.ca,
                             certs_.stranger_cert, certs_.stranger_key);
  EXPECT_EQ(GetConfig(stranger, "").error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The certificate is the credential: CN=crm-plugin is a principal.
  auto client = TlsChannel(daemon_->address(), certs_.ca, certs_.client_cert,
                           certs_.client_key);
  v1::GetConfigResponse config;
  grpc::Status s = GetConfig(client, "", &config);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(config.version().empty());
}

TEST_F(TlsTest, AReplacedCertificateIsServedWithoutARestart) {
  // Swapping the linked directory replaces both files at once.
  std::vector<std::string> flags = SwappableTlsFlags();
  flags.push_back("--auth_config=" + auth_path_);
  std::string log;
  daemon_ = DaemonProcess::Start(config_path_, data_dir_, flags, &log);
  ASSERT_NE(daemon_, nullptr) << log;
  const std::string& reader = Tokens().at("reader");
  EXPECT_TRUE(GetConfig(TlsChannel(daemon_->address(), certs_.ca), reader).ok());
  EXPECT_FALSE(
      GetConfig(TlsChannel(daemon_->address(), certs_.other_ca), reader).ok());

  SwapToOtherCa();
  // Each attempt is a new connection, so a new handshake.
  grpc::Status s = Eventually([&] {
    return GetConfig(TlsChannel(daemon_->address(), certs_.other_ca), reader);
  });
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(GetConfig(TlsChannel(daemon_->address(), certs_.ca), reader).ok());
  EXPECT_EQ(daemon_->Terminate(), 0);
}

TEST_F(TlsTest, PlaintextBeyondLoopbackIsRefusedUnlessAskedFor) {
  std::string log;
  const int code = DaemonProcess::RunToExit(
      {"--config=" + config_path_, "--data_dir=" + data_dir_,
       "--listen=0.0.0.0:0", "--metrics_listen="},
      &log);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(log, HasSubstr("refusing to serve plaintext on 0.0.0.0:0"));
  EXPECT_THAT(log, HasSubstr("--insecure_plaintext"));

  daemon_ = DaemonProcess::Start(config_path_, data_dir_,
                                 {"--listen=0.0.0.0:0", "--insecure_plaintext"},
                                 &log);
  ASSERT_NE(daemon_, nullptr) << log;
  EXPECT_THAT(daemon_->Log(), HasSubstr("\"event\":\"plaintext\""));
  EXPECT_EQ(daemon_->Terminate(), 0);
}

TEST_F(TlsTest, HalfAKeyPairOrAnUnreadableFileStopsTheStart) {
  std::string log;
  EXPECT_EQ(DaemonProcess::RunToExit(
                {"--config=" + config_path_, "--data_dir=" + data_dir_,
                 "--listen=127.0.0.1:0", "--metrics_listen=",
                 "--tls_cert=" + certs_.server_cert},
                &log),
            1);
  EXPECT_THAT(log, HasSubstr("--tls_cert and --tls_key go together"));
  log.clear();
  EXPECT_EQ(DaemonProcess::RunToExit(
                {"--config=" + config_path_, "--data_dir=" + data_dir_,
                 "--listen=127.0.0.1:0", "--metrics_listen=",
                 "--tls_cert=" + certs_.server_cert,
                 "--tls_key=" + dir_ + "/missing.key"},
                &log),
            1);
  EXPECT_THAT(log, HasSubstr("--tls_key: cannot read"));
}

TEST_F(TlsTest, ProbesGetHealthAloneOnAPlaintextPort) {
  StartSecure({"--health_listen=127.0.0.1:0"});
  std::smatch m;
  const std::string log = daemon_->Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("\"health\":\"([^\"]+)\"")));
  const std::string health = m[1];
  FILE* pipe = popen(
      (std::string(LEADCTL_PATH) + " --server=" + health + " health").c_str(),
      "r");
  char buffer[256] = {};
  const size_t n = fread(buffer, 1, sizeof buffer - 1, pipe);
  const int status = pclose(pipe);
  EXPECT_EQ(std::string(buffer, n), "SERVING\n");
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Nothing but health there: the API answers UNIMPLEMENTED.
  auto plaintext =
      grpc::CreateChannel(health, grpc::InsecureChannelCredentials());
  EXPECT_EQ(GetConfig(plaintext, Tokens().at("reader")).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // Nor does it describe the API to strangers.
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(plaintext);
  grpc::ClientContext c;
  auto stream = reflection->ServerReflectionInfo(&c);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol("leadrouter.v1.RoutingAdmin");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.file_descriptor_response().file_descriptor_proto_size(),
              0);
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace leadrouter::testing

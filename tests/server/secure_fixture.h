// A real leadrouterd with TLS and an auth config, for the security tests:
// the org of daemon_fixture.h, a certificate made by openssl for this test,
// and one principal per role (each with its own token), plus "crm-plugin"
// known by its client certificate.
#ifndef LEADROUTER_TESTS_SERVER_SECURE_FIXTURE_H_
#define LEADROUTER_TESTS_SERVER_SECURE_FIXTURE_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/auth/authorizer.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/test_certs.h"

namespace leadrouter::testing {

// Principal name -> its token. "worker" is bound to rep anna.
inline const std::map<std::string, std::string>& Tokens() {
  static const auto* tokens = new std::map<std::string, std::string>{
      {"router", "tok-router-5f2d8a9c41e7b3"},
      {"reader", "tok-reader-c81e4b7f9a2d60"},
      {"worker", "tok-worker-3b9e7d1a6c4f82"},
      {"admin", "tok-admin-e7a2c5f9b1d834"},
  };
  return *tokens;
}

inline std::string AuthYamlFor(const std::map<std::string, std::string>& tokens) {
  std::string yaml = "principals:\n";
  for (const auto& [name, token] : tokens) {
    yaml += "  - name: " + name + "\n    token_sha256: " +
            server::TokenDigestHex(token) + "\n    roles: [" + name + "]\n";
    if (name == "worker") yaml += "    rep_ids: [anna]\n";
  }
  yaml +=
      "  - name: crm-plugin\n"
      "    certificate_names: [\"CN=crm-plugin\"]\n"
      "    roles: [reader, admin]\n";
  return yaml;
}

// Adds "authorization: Bearer <token>" (none for an empty token) and a
// deadline.
inline void Authorize(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
}

// A TLS channel trusting `ca_file`, optionally with a client certificate.
inline std::shared_ptr<grpc::Channel> TlsChannel(
    const std::string& address, const std::string& ca_file,
    const std::string& cert_file = "", const std::string& key_file = "") {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(ca_file);
  if (!cert_file.empty()) {
    ssl.pem_cert_chain = ReadFile(cert_file);
    ssl.pem_private_key = ReadFile(key_file);
  }
  grpc::ChannelArguments args;
  // Each channel its own connection, so a test's handshakes are its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

class SecureDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = MakeTempDir(std::string(info->test_suite_name()) + "." +
                       info->name());
    config_path_ = dir_ + "/routing.yaml";
    auth_path_ = dir_ + "/auth.yaml";
    data_dir_ = dir_ + "/data";
    WriteFile(config_path_, kServiceTestConfig);
    WriteFile(auth_path_, AuthYamlFor(Tokens()));
    certs_ = TestCerts::Make(dir_);
  }

  // Starts leadrouterd with TLS (certs_.server_cert) and the auth file.
  void StartSecure(std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> flags = {"--tls_cert=" + certs_.server_cert,
                                      "--tls_key=" + certs_.server_key,
                                      "--auth_config=" + auth_path_};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    std::string log;
    daemon_ = DaemonProcess::Start(config_path_, data_dir_, flags, &log);
    ASSERT_NE(daemon_, nullptr) << log;
    channel_ = TlsChannel(daemon_->address(), certs_.ca);
  }

  // dir_/current/tls.{crt,key}: the server pair of CA A through a
  // symlinked directory, as Kubernetes mounts secrets; SwapToOtherCa()
  // replaces both files at once with CA B's pair.
  std::vector<std::string> SwappableTlsFlags() {
    namespace fs = std::filesystem;
    fs::create_directories(dir_ + "/tls-a");
    fs::create_directories(dir_ + "/tls-b");
    fs::copy_file(certs_.server_cert, dir_ + "/tls-a/tls.crt");
    fs::copy_file(certs_.server_key, dir_ + "/tls-a/tls.key");
    fs::copy_file(certs_.other_server_cert, dir_ + "/tls-b/tls.crt");
    fs::copy_file(certs_.other_server_key, dir_ + "/tls-b/tls.key");
    fs::create_directory_symlink(dir_ + "/tls-a", dir_ + "/current");
    return {"--tls_cert=" + dir_ + "/current/tls.crt",
            "--tls_key=" + dir_ + "/current/tls.key",
            "--tls_refresh_interval=1s"};
  }
  void SwapToOtherCa() {
    std::filesystem::create_directory_symlink(dir_ + "/tls-b", dir_ + "/next");
    std::filesystem::rename(dir_ + "/next", dir_ + "/current");  // atomic
  }

  // Calls until `call` gives OK or `limit` passes; the last status.
  static grpc::Status Eventually(const std::function<grpc::Status()>& call,
                                 std::chrono::seconds limit =
                                     std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    grpc::Status s = call();
    while (!s.ok() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      s = call();
    }
    return s;
  }

  std::string dir_, config_path_, auth_path_, data_dir_;
  TestCerts certs_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace leadrouter::testing

#endif  // LEADROUTER_TESTS_SERVER_SECURE_FIXTURE_H_

// The token is read from one place only: a --token on the command line is
// visible to other users in the process list, so --token_file and the
// LEADROUTER_TOKEN variable are the ones to use in scripts.
#include "client/leadctl/connection.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "leadrouterd address (several, comma-separated, are tried in turn).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline per call.");
ABSL_FLAG(std::string, ca_file, "",
          "PEM CA bundle to trust: connect with TLS (see also --tls).");
ABSL_FLAG(bool, tls, false,
          "Connect with TLS trusting the system's CAs (implied by "
          "--ca_file).");
ABSL_FLAG(std::string, cert_file, "",
          "PEM client certificate, for servers that require mutual TLS.");
ABSL_FLAG(std::string, key_file, "", "PEM private key of --cert_file.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name the server certificate must hold, when not the --server "
          "host.");
ABSL_FLAG(std::string, token, "",
          "Bearer token (visible in the process list: prefer --token_file "
          "or LEADROUTER_TOKEN).");
ABSL_FLAG(std::string, token_file, "", "File holding the bearer token.");

namespace leadrouter::leadctl {
namespace {

absl::StatusOr<std::string> ReadAll(const char* flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<ClientOptions> ConnectionFromFlags() {
  ClientOptions options;
  options.address = absl::GetFlag(FLAGS_server);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  const std::string ca = absl::GetFlag(FLAGS_ca_file);
  const std::string cert = absl::GetFlag(FLAGS_cert_file);
  const std::string key = absl::GetFlag(FLAGS_key_file);
  options.tls = absl::GetFlag(FLAGS_tls) || !ca.empty() || !cert.empty();
  if (!ca.empty()) {
    auto pem = ReadAll("ca_file", ca);
    if (!pem.ok()) return pem.status();
    options.tls_root_certs = *pem;
  }
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--cert_file and --key_file go together: give both");
  }
  if (!cert.empty()) {
    auto cert_pem = ReadAll("cert_file", cert);
    if (!cert_pem.ok()) return cert_pem.status();
    auto key_pem = ReadAll("key_file", key);
    if (!key_pem.ok()) return key_pem.status();
    options.tls_client_cert = *cert_pem;
    options.tls_client_key = *key_pem;
  }
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);

  const std::string flag_token = absl::GetFlag(FLAGS_token);
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  const char* env = std::getenv("LEADROUTER_TOKEN");
  if (!flag_token.empty() && !token_file.empty()) {
    return absl::InvalidArgumentError(
        "--token and --token_file: give one of them");
  }
  if (!flag_token.empty()) {
    options.bearer_token = flag_token;
  } else if (!token_file.empty()) {
    auto token = ReadAll("token_file", token_file);
    if (!token.ok()) return token.status();
    options.bearer_token = std::string(absl::StripAsciiWhitespace(*token));
    if (options.bearer_token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: ", token_file, " is empty"));
    }
  } else if (env != nullptr) {
    options.bearer_token = std::string(absl::StripAsciiWhitespace(env));
  }
  return options;
}

}  // namespace leadrouter::leadctl

// The same two passes as the routing config: YAML to proto (structure,
// types, unknown keys), then ValidateAuthConfig (values and duplicates);
// positions from the first pass turn field paths into lines. Error messages
// never repeat a digest or a certificate name in full: they name the field.
#include "server/auth/auth_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/config/yaml_to_proto.h"

namespace leadrouter::server {

using leadrouter::v1::AuthConfig;

namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-' || c == '_' || c == '@';
}

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<routing::ConfigError> ValidateAuthConfig(const AuthConfig& config) {
  std::vector<routing::ConfigError> errors;
  auto error = [&](std::string path, std::string message) {
    errors.push_back({std::move(path), std::move(message)});
  };
  std::set<std::string> names, digests, certificate_names;
  for (int i = 0; i < config.principals_size(); ++i) {
    const auto& p = config.principals(i);
    const std::string at = absl::StrCat("principals[", i, "]");
    if (p.name().empty() || p.name().size() > 64) {
      error(at + ".name", "must be 1 to 64 bytes");
    } else if (!std::all_of(p.name().begin(), p.name().end(), IsNameChar)) {
      error(at + ".name",
            "may hold only letters, digits, '.', '-', '_' and '@'");
    } else if (p.name() == "anonymous" || p.name() == "unauthenticated" ||
               p.name() == "sighup") {
      error(at + ".name", absl::StrCat("\"", p.name(),
                                       "\" is reserved for the audit trail"));
    } else if (!names.insert(p.name()).second) {
      error(at + ".name", absl::StrCat("\"", p.name(), "\" is used twice"));
    }
    if (!p.token_sha256().empty()) {
      if (p.token_sha256().size() != 64 || !IsLowerHex(p.token_sha256())) {
        error(at + ".token_sha256",
              "must be 64 lower-case hex digits (the SHA-256 of the token; "
              "`leadctl token new` prints it)");
      } else if (!digests.insert(p.token_sha256()).second) {
        error(at + ".token_sha256", "the same token belongs to another "
                                    "principal");
      }
    }
    for (int j = 0; j < p.certificate_names_size(); ++j) {
      const std::string& c = p.certificate_names(j);
      const std::string path = absl::StrCat(at, ".certificate_names[", j, "]");
      if (c.empty() || c.size() > 1024) {
        error(path, "must be 1 to 1024 bytes");
      } else if (!certificate_names.insert(c).second) {
        error(path, "names another principal's certificate too");
      }
    }
    if (p.token_sha256().empty() && p.certificate_names_size() == 0 &&
        p.signing_secret_file().empty()) {
      error(at, "needs token_sha256, certificate_names or "
                "signing_secret_file");
    }
    if (p.roles_size() == 0) {
      error(at + ".roles", "must name at least one role "
                           "(router, reader, worker, admin)");
    }
    bool worker = false;
    for (int j = 0; j < p.roles_size(); ++j) {
      if (p.roles(j) == leadrouter::v1::ROLE_UNSPECIFIED) {
        error(absl::StrCat(at, ".roles[", j, "]"),
              "must be router, reader, worker or admin");
      }
      worker |= p.roles(j) == leadrouter::v1::ROLE_WORKER;
    }
    if (p.rep_ids_size() > 0 && !worker) {
      error(at + ".rep_ids", "binds the worker role to reps; the principal "
                             "has no worker role");
    }
    for (int j = 0; j < p.rep_ids_size(); ++j) {
      if (p.rep_ids(j).empty() || p.rep_ids(j).size() > 64) {
        error(absl::StrCat(at, ".rep_ids[", j, "]"), "must be 1 to 64 bytes");
      }
    }
  }
  return errors;
}

absl::StatusOr<AuthConfig> ParseAuthYaml(const std::string& text,
                                         const std::string& name) {
  AuthConfig config;
  absl::Status parsed =
      ParseYamlConfig(text, name, "auth config", &config,
                      [&] { return ValidateAuthConfig(config); });
  if (!parsed.ok()) return parsed;
  return config;
}

absl::StatusOr<AuthConfig> LoadAuthFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot read the auth config file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<AuthConfig> config = ParseAuthYaml(text.str(), path);
  if (!config.ok()) return config;
  // Secret files are named relative to the auth file, and must hold a
  // usable secret now (the Authorizer reads them when it takes the config).
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::vector<routing::ConfigError> errors;
  for (int i = 0; i < config->principals_size(); ++i) {
    auto* p = config->mutable_principals(i);
    if (p->signing_secret_file().empty()) continue;
    if (p->signing_secret_file().front() != '/') {
      p->set_signing_secret_file(dir + p->signing_secret_file());
    }
    absl::StatusOr<std::string> secret =
        ReadSigningSecret(p->signing_secret_file());
    if (!secret.ok()) {
      errors.push_back({absl::StrCat("principals[", i, "].signing_secret_file"),
                        std::string(secret.status().message())});
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", routing::FormatConfigErrors(errors)));
  }
  return config;
}

absl::StatusOr<std::string> ReadSigningSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("the secret file cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.size() < kMinSigningSecret) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the secret file holds ", secret.size(), " bytes; at least ",
        kMinSigningSecret, " (e.g. openssl rand -hex 32)"));
  }
  return secret;
}

}  // namespace leadrouter::server

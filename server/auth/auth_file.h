// Loads the --auth_config file: the principals who may call leadrouterd and
// their roles (schema: proto/leadrouter/v1/auth.proto). A broken file is
// refused whole with every problem as "file:line:column: field: message",
// like the routing config, so a reload on SIGHUP either takes all of it or
// nothing.
//
//   absl::StatusOr<leadrouter::v1::AuthConfig> auth =
//       LoadAuthFile("/etc/leadrouter/auth.yaml");
#ifndef LEADROUTER_SERVER_AUTH_AUTH_FILE_H_
#define LEADROUTER_SERVER_AUTH_AUTH_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadrouter/v1/auth.pb.h"
#include "routing/config_validation.h"

namespace leadrouter::server {

// NOT_FOUND if the file cannot be read; INVALID_ARGUMENT listing every
// error otherwise.
absl::StatusOr<leadrouter::v1::AuthConfig> LoadAuthFile(
    const std::string& path);

// Parses YAML text; `name` is the file name errors mention.
absl::StatusOr<leadrouter::v1::AuthConfig> ParseAuthYaml(
    const std::string& text, const std::string& name);

// Signing secrets shorter than this are refused.
inline constexpr size_t kMinSigningSecret = 32;

// The secret a principal's signing_secret_file holds (without a final
// newline); NOT_FOUND or INVALID_ARGUMENT (too short). The message never
// holds the secret.
absl::StatusOr<std::string> ReadSigningSecret(const std::string& path);

// Every problem of `config` (names, digests, roles, duplicates), with
// field paths; empty when it is valid.
std::vector<routing::ConfigError> ValidateAuthConfig(
    const leadrouter::v1::AuthConfig& config);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_AUTH_AUTH_FILE_H_

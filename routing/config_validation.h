// Checks a routing config as a whole and reports every problem at once, each
// with the path of the field it concerns, so that the config loader can
// point at the file's line:
//
//   for (const ConfigError& e : ValidateConfig(config))
//     // e.path == "rules[2].target.team", e.message == "unknown team \"x\""
#ifndef LEADROUTER_ROUTING_CONFIG_VALIDATION_H_
#define LEADROUTER_ROUTING_CONFIG_VALIDATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

#include "leadrouter/v1/config.pb.h"

namespace leadrouter::routing {

struct ConfigError {
  // Field path in the config, e.g. "teams[1].members[0]".
  std::string path;
  std::string message;
};

// Every problem of `config`, in field order; empty when it is valid.
std::vector<ConfigError> ValidateConfig(
    const leadrouter::v1::RoutingConfig& config);

// "path: message" lines, one per error.
// A config duration: what absl::ParseDuration reads ("90s", "30m", "4h",
// "1h30m") or whole days ("2d"). False when it is neither.
bool ParseConfigDuration(std::string_view text, absl::Duration* duration);

std::string FormatConfigErrors(const std::vector<ConfigError>& errors);

// A stable fingerprint of the config's content: "cfg-" and 16 hex digits.
// The same content gives the same version in every process.
std::string ConfigVersion(const leadrouter::v1::RoutingConfig& config);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_CONFIG_VALIDATION_H_

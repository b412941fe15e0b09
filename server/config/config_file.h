// Loads the routing config from a YAML file and compiles it. A broken file is
// refused whole, with every problem listed as "file:line:column: field:
// message", so an admin can go straight to the line.
//
//   absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> table =
//       LoadRoutingTable("deploy/config/example.yaml");
#ifndef LEADROUTER_SERVER_CONFIG_CONFIG_FILE_H_
#define LEADROUTER_SERVER_CONFIG_CONFIG_FILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "leadrouter/v1/config.pb.h"
#include "routing/routing_table.h"

namespace leadrouter::server {

// The config in `path`, checked (structure and references). NOT_FOUND if the
// file cannot be read; INVALID_ARGUMENT listing every error otherwise.
absl::StatusOr<leadrouter::v1::RoutingConfig> LoadConfigFile(
    const std::string& path);

// Parses YAML text; `name` is the file name errors mention.
absl::StatusOr<leadrouter::v1::RoutingConfig> ParseConfigYaml(
    const std::string& text, const std::string& name);

// LoadConfigFile, then compiled into a routing table.
absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> LoadRoutingTable(
    const std::string& path);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_CONFIG_FILE_H_

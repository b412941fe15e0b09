// Two passes report errors: the YAML-to-proto pass (syntax, unknown keys,
// wrong types) and routing's ValidateConfig (codes, references, ranges).
// Both name field paths; the positions recorded in the first pass turn those
// paths into lines.
#include "server/config/config_file.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "routing/config_validation.h"
#include "server/config/yaml_to_proto.h"

namespace leadrouter::server {

absl::StatusOr<leadrouter::v1::RoutingConfig> ParseConfigYaml(
    const std::string& text, const std::string& name) {
  leadrouter::v1::RoutingConfig config;
  absl::Status parsed = ParseYamlConfig(
      text, name, "routing config", &config,
      [&] { return routing::ValidateConfig(config); });
  if (!parsed.ok()) return parsed;
  return config;
}

absl::StatusOr<leadrouter::v1::RoutingConfig> LoadConfigFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot read the routing config file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfigYaml(text.str(), path);
}

absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> LoadRoutingTable(
    const std::string& path) {
  absl::StatusOr<leadrouter::v1::RoutingConfig> config = LoadConfigFile(path);
  if (!config.ok()) return config.status();
  return routing::RoutingTable::Create(*std::move(config));
}

}  // namespace leadrouter::server

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
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":", e.mark.line + 1, ":", e.mark.column + 1,
        ": not valid YAML: ", e.msg));
  }
  leadrouter::v1::RoutingConfig config;
  YamlPositions positions;
  std::vector<routing::ConfigError> errors;
  try {
    YamlToMessage(root, &config, &positions, &errors);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  // Reference checks on a structurally broken config would only repeat
  // the structural errors in other words.
  if (errors.empty()) errors = routing::ValidateConfig(config);
  if (errors.empty()) return config;

  std::string message = absl::StrCat(name, ": the routing config has ",
                                     errors.size(),
                                     errors.size() == 1 ? " error" : " errors");
  for (const routing::ConfigError& e : errors) {
    const YamlPosition at = FindPosition(positions, e.path);
    absl::StrAppend(&message, "\n", name, ":", at.line, ":", at.column, ": ",
                    e.path, ": ", e.message);
  }
  return absl::InvalidArgumentError(message);
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

// Reads a YAML document into a protobuf message by the message's own schema:
// keys are field names, lists are repeated fields, enum values are their
// names (in any case, with or without the enum's prefix). Every node's file
// position is remembered by field path, so that later checks can point at the
// line that holds the problem.
//
//   YamlPositions positions;
//   std::vector<routing::ConfigError> errors;
//   YamlToMessage(YAML::LoadFile(path), &config, &positions, &errors);
#ifndef LEADROUTER_SERVER_CONFIG_YAML_TO_PROTO_H_
#define LEADROUTER_SERVER_CONFIG_YAML_TO_PROTO_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "routing/config_validation.h"
#include "yaml-cpp/yaml.h"

namespace leadrouter::server {

struct YamlPosition {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// Field path ("rules[2].target.team") to where its value starts in the file.
using YamlPositions = absl::flat_hash_map<std::string, YamlPosition>;

// Fills `message` from `node`. Unknown keys and values of the wrong type are
// appended to `errors` (with their path); conversion goes on past them so
// that one run reports everything.
void YamlToMessage(const YAML::Node& node, google::protobuf::Message* message,
                   YamlPositions* positions,
                   std::vector<routing::ConfigError>* errors);

// The position of `path`, or of its nearest enclosing field that has one.
YamlPosition FindPosition(const YamlPositions& positions, std::string path);

// A whole YAML config file into `message`: the YAML, then its structure,
// then `validate` (only when the structure is sound: reference checks on a
// broken structure would repeat its errors in other words). On any error,
// INVALID_ARGUMENT listing every one as "name:line:column: path: message"
// under "name: the <what> has N errors".
absl::Status ParseYamlConfig(
    const std::string& text, const std::string& name, const std::string& what,
    google::protobuf::Message* message,
    const std::function<std::vector<routing::ConfigError>()>& validate);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_YAML_TO_PROTO_H_

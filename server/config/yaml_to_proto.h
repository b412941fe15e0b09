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

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_CONFIG_YAML_TO_PROTO_H_

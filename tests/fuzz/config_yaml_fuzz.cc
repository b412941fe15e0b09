// The YAML routing config from raw bytes, through the loader (YAML to proto,
// validation with positions) and, when valid, compiled into a routing
// table. A refusal must be INVALID_ARGUMENT with a message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/config/config_file.h"
#include "routing/routing_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = leadrouter::server::ParseConfigYaml(text, "fuzz.yaml");
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument ||
        config.status().message().empty()) {
      __builtin_trap();
    }
    return 0;
  }
  // Valid by the loader's checks: it must compile.
  if (!leadrouter::routing::RoutingTable::Create(*config).ok()) __builtin_trap();
  return 0;
}

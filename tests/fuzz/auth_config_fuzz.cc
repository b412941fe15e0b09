// The auth config from raw bytes: the input is split at the first NUL into
// a YAML auth file and an "authorization" header. A file that loads drives
// an Authorizer, which must answer the header for a method with OK,
// UNAUTHENTICATED or PERMISSION_DENIED, and never echo the header.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/auth/auth_file.h"
#include "server/auth/authorizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string yaml = input.substr(0, nul);
  const std::string header =
      nul == std::string::npos ? "" : input.substr(nul + 1);
  auto config = leadrouter::server::ParseAuthYaml(yaml, "auth.yaml");
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument) {
      __builtin_trap();
    }
    return 0;
  }
  leadrouter::server::Authorizer authorizer(*config);
  leadrouter::server::CallerCredentials credentials;
  credentials.authorization = header;
  credentials.certificate_names = {header};
  auto d = authorizer.Authorize(credentials,
                                "/leadrouter.v1.RoutingAdmin/ApplyConfig");
  const auto code = d.status.code();
  if (code != absl::StatusCode::kOk &&
      code != absl::StatusCode::kUnauthenticated &&
      code != absl::StatusCode::kPermissionDenied) {
    __builtin_trap();
  }
  // Tokens are never echoed (a header short enough to be a common word
  // could appear by chance).
  if (header.size() >= 12 && header.rfind("Bearer ", 0) == 0 &&
      std::string(d.status.message()).find(header.substr(7)) !=
          std::string::npos) {
    __builtin_trap();
  }
  return 0;
}

#include "server/store/store_uri.h"

#include <regex>

#include "absl/strings/match.h"

namespace leadrouter::server {

bool IsPostgresStore(const std::string& store) {
  return absl::StartsWith(store, "postgresql://") ||
         absl::StartsWith(store, "postgres://") ||
         absl::StrContains(store, "=");
}

std::string RedactedStore(const std::string& store) {
  // URI userinfo "user:secret@", and key=value "password=secret".
  static const std::regex* const kUriPassword =
      new std::regex(R"((://[^:/@]*):[^@/]*@)");
  static const std::regex* const kKeyPassword =
      new std::regex(R"((password\s*=\s*)('[^']*'|\S+))");
  std::string out = std::regex_replace(store, *kUriPassword, "$1:***@");
  out = std::regex_replace(out, *kKeyPassword, "$1***");
  // Query parameter form: ?password=...
  static const std::regex* const kQueryPassword =
      new std::regex(R"(([?&]password=)[^&]*)");
  return std::regex_replace(out, *kQueryPassword, "$1***");
}

}  // namespace leadrouter::server

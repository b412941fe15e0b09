#include "server/http/http_status.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/api/status.h"

namespace leadrouter::server {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ErrorJson(const absl::Status& status) {
  // Each string printed by the JSON printer (quoted and escaped), the
  // object put together here so that "code" comes first.
  auto quoted = [](std::string text) {
    google::protobuf::Value v;
    v.set_string_value(std::move(text));
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(v, &json).ok()) {
      return std::string("\"(not UTF-8)\"");
    }
    return json;
  };
  return absl::StrCat(
      "{\"code\":", quoted(absl::StatusCodeToString(status.code())),
      ",\"message\":",
      quoted(std::string(status.message().substr(0, kMaxErrorMessageBytes))),
      "}");
}

}  // namespace leadrouter::server

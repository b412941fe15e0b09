// Requests and responses of the HTTP front in the proto3 JSON mapping of
// the gRPC messages: bodies are parsed strictly (unknown fields refused),
// query parameters fill a request's top-level fields by name, responses
// print in lowerCamelCase as the mapping has it.
//
//   RouteLeadRequest request;
//   absl::Status s = ParseJsonBody(req.body, &request);  // INVALID_ARGUMENT
#ifndef LEADROUTER_SERVER_HTTP_PROTO_JSON_H_
#define LEADROUTER_SERVER_HTTP_PROTO_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace leadrouter::server {

// INVALID_ARGUMENT naming what is wrong (not JSON, an unknown field, a
// value of the wrong type); `message` is left cleared then. An empty body
// is an empty message.
absl::Status ParseJsonBody(const std::string& body,
                           google::protobuf::Message* message);

// Fills top-level scalar fields (strings, numbers, bools, enums by name,
// Timestamps as RFC 3339) from name=value pairs; a field may be named as
// in the .proto or in lowerCamelCase. INVALID_ARGUMENT naming the
// parameter for an unknown name, a repeated one or a bad value.
absl::Status ParseQuery(
    const std::vector<std::pair<std::string, std::string>>& params,
    google::protobuf::Message* message);

// INTERNAL only for a message holding a string that is not UTF-8.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_HTTP_PROTO_JSON_H_

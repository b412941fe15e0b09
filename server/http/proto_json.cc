#include "server/http/proto_json.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace leadrouter::server {
namespace {

using google::protobuf::FieldDescriptor;

// The parser's own words, without the "INVALID_ARGUMENT:" prefix some
// versions add.
std::string Reason(const google::protobuf::util::Status& status) {
  std::string message(status.message().data(), status.message().size());
  constexpr absl::string_view kPrefix = "INVALID_ARGUMENT:";
  if (absl::StartsWith(message, kPrefix)) message.erase(0, kPrefix.size());
  return message;
}

}  // namespace

absl::Status ParseJsonBody(const std::string& body,
                           google::protobuf::Message* message) {
  message->Clear();
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::OkStatus();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  google::protobuf::util::Status parsed =
      google::protobuf::util::JsonStringToMessage(body, message, options);
  if (parsed.ok()) return absl::OkStatus();
  message->Clear();
  return absl::InvalidArgumentError(
      absl::StrCat("body: not a ", message->GetDescriptor()->name(),
                   " in JSON: ", Reason(parsed)));
}

absl::Status ParseQuery(
    const std::vector<std::pair<std::string, std::string>>& params,
    google::protobuf::Message* message) {
  message->Clear();
  const google::protobuf::Descriptor* d = message->GetDescriptor();
  google::protobuf::Struct as_json;
  std::set<std::string> seen;
  for (const auto& [name, value] : params) {
    const FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) f = d->FindFieldByCamelcaseName(name);
    if (f == nullptr || f->is_repeated() ||
        (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         f->message_type()->full_name() != "google.protobuf.Timestamp")) {
      message->Clear();
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter \"", name.substr(0, 64), "\": no such parameter"));
    }
    if (!seen.insert(f->name()).second) {
      message->Clear();
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter \"", name.substr(0, 64), "\": given twice"));
    }
    google::protobuf::Value& v = (*as_json.mutable_fields())[f->json_name()];
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      if (value != "true" && value != "false") {
        message->Clear();
        return absl::InvalidArgumentError(absl::StrCat(
            "query parameter \"", name, "\": not true or false"));
      }
      v.set_bool_value(value == "true");
    } else {
      // Numbers and enums may be quoted in proto3 JSON; strings and
      // Timestamps are.
      v.set_string_value(value);
    }
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(as_json, &json).ok()) {
    return absl::InvalidArgumentError("query: not UTF-8");
  }
  google::protobuf::util::Status parsed =
      google::protobuf::util::JsonStringToMessage(json, message);
  if (parsed.ok()) return absl::OkStatus();
  message->Clear();
  return absl::InvalidArgumentError(
      absl::StrCat("query: ", Reason(parsed)));
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  std::string json;
  // As the mapping prints them: enums by name, default values left out.
  google::protobuf::util::Status s =
      google::protobuf::util::MessageToJsonString(message, &json);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat(
        "the ", message.GetDescriptor()->name(),
        " could not be printed as JSON: ", Reason(s)));
  }
  return json;
}

}  // namespace leadrouter::server

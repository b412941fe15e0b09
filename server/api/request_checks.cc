#include "server/api/request_checks.h"

#include "absl/strings/str_cat.h"
#include "server/api/assignment_workflow.h"

namespace leadrouter::server {

absl::Status CheckIds(const std::string& rep_id, const std::string& team_id) {
  if (rep_id.size() > 64) {
    return absl::InvalidArgumentError("rep_id: is longer than 64 bytes");
  }
  if (team_id.size() > 64) {
    return absl::InvalidArgumentError("team_id: is longer than 64 bytes");
  }
  // Config ids are letters, digits, '.', '-', '_': nothing else can match.
  if (!IsPrintableId(rep_id)) {
    return absl::InvalidArgumentError(
        "rep_id: must be printable ASCII without spaces");
  }
  if (!IsPrintableId(team_id)) {
    return absl::InvalidArgumentError(
        "team_id: must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(const google::protobuf::Timestamp& t,
                            const char* field) {
  // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp allows.
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is not a valid timestamp"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TimeBound(const char* field,
                                  const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return 0;
  if (auto s = CheckTimestamp(t, field); !s.ok()) return s;
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

}  // namespace leadrouter::server

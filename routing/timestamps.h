// google.protobuf.Timestamp <-> absl::Time, to microseconds (what the store
// keeps).
//
//   SetTimestamp(now, assignment.mutable_routed_at());
//   absl::Time due = ToTime(assignment.respond_by());
#ifndef LEADROUTER_ROUTING_TIMESTAMPS_H_
#define LEADROUTER_ROUTING_TIMESTAMPS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace leadrouter::routing {

inline void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t micros = absl::ToUnixMicros(t);
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

inline absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_TIMESTAMPS_H_

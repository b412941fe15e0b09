// How both stores turn their rows into messages: the Assignment, the Lead
// and each event are stored as serialized protos beside the columns queries
// filter on; an event's cursor is its row's sequence number.
#ifndef LEADROUTER_SERVER_STORE_STORED_ROWS_H_
#define LEADROUTER_SERVER_STORE_STORED_ROWS_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "leadrouter/v1/routing_admin.pb.h"

namespace leadrouter::server {

inline int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

// When the response time of `a` runs out; 0 when no clock runs.
inline int64_t DueMicros(const leadrouter::v1::Assignment& a) {
  return a.state() == leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED &&
                 a.has_respond_by()
             ? std::max<int64_t>(1, Micros(a.respond_by()))
             : 0;
}

// When `a` closed (for retention); 0 while it is open or waiting.
inline int64_t ClosedMicros(const leadrouter::v1::Assignment& a) {
  return a.state() == leadrouter::v1::ASSIGNMENT_STATE_CLOSED
             ? std::max<int64_t>(1, Micros(a.closed_at()))
             : 0;
}

// The refusal of a watch cursor the change stream no longer serves.
inline absl::Status CursorTooOld(int64_t after, int64_t oldest) {
  return absl::OutOfRangeError(absl::StrCat(
      "cursor: \"", after,
      "\" is older than the change stream keeps (--event_retention); the "
      "oldest cursor still served is \"",
      oldest, "\""));
}

// How an assignment and a lead are written (stored_rows.cc). An
// assignment leaves out the trace's details that follow from the trace
// (routing/trace_text.h) and is deflated with a dictionary of a trace's
// usual words, behind a zero byte (which no serialized message starts
// with): about a sixth of the plain size for a 20-rep trace. A lead stays a
// plain message. Rows written before, as plain messages, read the same.
// Whether a rep override sets anything (an empty one is not stored).
inline bool HoldsSettings(const leadrouter::v1::RepOverride& o) {
  return o.has_active() || o.has_capacity() || o.out_of_office_size() > 0;
}

std::string PackAssignment(leadrouter::v1::Assignment& a);  // `a` unchanged
std::string PackLead(const leadrouter::v1::Lead& lead);
absl::StatusOr<leadrouter::v1::Assignment> ParseAssignment(
    std::string_view bytes);
absl::StatusOr<leadrouter::v1::Lead> ParseLead(std::string_view bytes);

// An event row: the blob plus its sequence number as the cursor.
inline absl::StatusOr<leadrouter::v1::AssignmentEvent> ParseEvent(
    int64_t seq, const std::string& bytes) {
  leadrouter::v1::AssignmentEvent e;
  if (!e.ParseFromString(bytes)) {
    return absl::DataLossError(
        absl::StrCat("stored event ", seq, " does not parse"));
  }
  e.set_cursor(absl::StrCat(seq));
  return e;
}

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_STORED_ROWS_H_

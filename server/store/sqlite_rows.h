// How the embedded store turns its rows into messages and back, shared by
// its write path (sqlite_store.cc) and its reads (sqlite_store_reads.cc).
#ifndef LEADROUTER_SERVER_STORE_SQLITE_ROWS_H_
#define LEADROUTER_SERVER_STORE_SQLITE_ROWS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "leadrouter/v1/assignment.pb.h"
#include "server/store/sqlite_db.h"

namespace leadrouter::server {

inline int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

inline absl::StatusOr<leadrouter::v1::Assignment> ParseAssignment(
    const std::string& bytes) {
  leadrouter::v1::Assignment a;
  if (!a.ParseFromString(bytes)) {
    return absl::DataLossError("stored assignment does not parse");
  }
  return a;
}

// An event row: the blob plus its sequence number as the cursor.
inline absl::StatusOr<leadrouter::v1::AssignmentEvent> ParseEvent(
    int64_t seq, const std::string& bytes) {
  leadrouter::v1::AssignmentEvent e;
  if (!e.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("stored event ", seq,
                                            " does not parse"));
  }
  e.set_cursor(absl::StrCat(seq));
  return e;
}

// Rewrites every stored event of the lead through routing::ScrubEvent
// (erasure); inside the caller's transaction.
absl::Status ScrubEvents(SqliteDb& db, const std::string& lead_id,
                         std::string_view company_domain);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_SQLITE_ROWS_H_

// The embedded store's row helpers beyond the shared ones (stored_rows.h),
// used by its write path (sqlite_store.cc) and its reads.
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
#include "server/store/stored_rows.h"

namespace leadrouter::server {

// Rewrites every stored event of the lead through routing::ScrubEvent
// (erasure); inside the caller's transaction.
absl::Status ScrubEvents(SqliteDb& db, const std::string& lead_id,
                         std::string_view company_domain);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_SQLITE_ROWS_H_

// Page tokens of ListAssignments and ListAuditEvents: opaque to clients,
// they carry the position to continue after and a fingerprint of the
// filters they were issued for, so a token used with other filters is
// refused instead of skipping rows. Also the cursors of WatchAssignments.
//
//   std::string token = EncodePageToken(page.last_position, filters);
//   absl::StatusOr<int64_t> after = DecodePageToken(token, filters);
#ifndef LEADROUTER_SERVER_API_PAGE_TOKEN_H_
#define LEADROUTER_SERVER_API_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace leadrouter::server {

// `filters` is any string that identifies the query's filters.
std::string EncodePageToken(int64_t position, const std::string& filters);

// The position to continue after; 0 for an empty token. INVALID_ARGUMENT
// naming page_token if it is malformed or was issued for other filters.
absl::StatusOr<int64_t> DecodePageToken(const std::string& token,
                                        const std::string& filters);

// The event cursor of a WatchAssignments request: INVALID_ARGUMENT for
// anything but a decimal event number, OUT_OF_RANGE for one newer than
// `head` (the newest event), naming the field `cursor`.
absl::StatusOr<int64_t> ParseWatchCursor(const std::string& cursor,
                                         int64_t head);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_PAGE_TOKEN_H_

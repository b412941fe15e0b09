// Token = web-safe base64 of "<position>.<filter fingerprint>".
#include "server/api/page_token.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace leadrouter::server {
namespace {

std::string Fingerprint(const std::string& filters) {
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a: stable across restarts
  for (unsigned char c : filters) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("%016x", hash);
}

absl::Status BadToken() {
  return absl::InvalidArgumentError(
      "page_token: is not a next_page_token issued for these filters");
}

}  // namespace

std::string EncodePageToken(int64_t position, const std::string& filters) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(position, ".", Fingerprint(filters)));
}

absl::StatusOr<int64_t> DecodePageToken(const std::string& token,
                                        const std::string& filters) {
  if (token.empty()) return 0;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return BadToken();
  std::vector<std::string> parts = absl::StrSplit(raw, '.');
  int64_t position = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &position) ||
      position <= 0 || parts[1] != Fingerprint(filters)) {
    return BadToken();
  }
  return position;
}

absl::StatusOr<int64_t> ParseWatchCursor(const std::string& cursor,
                                         int64_t head) {
  int64_t after = 0;
  // Only digits: SimpleAtoi would also take "+5" and " 5".
  const bool digits =
      !cursor.empty() && cursor.size() <= 19 &&
      cursor.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || !absl::SimpleAtoi(cursor, &after)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cursor: \"", cursor.substr(0, 64),
        "\" is not a cursor of WatchAssignments"));
  }
  if (after > head) {
    return absl::OutOfRangeError(absl::StrCat(
        "cursor: \"", cursor, "\" is newer than the newest event (\"", head,
        "\"); is this the same leadrouter database?"));
  }
  return after;
}

}  // namespace leadrouter::server

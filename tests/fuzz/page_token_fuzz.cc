// Page tokens and watch cursors from raw bytes. The first byte picks the
// filters a token is checked against; the rest is the token or cursor. A
// token that decodes must round-trip: encoding its position again for the
// same filters gives a token that decodes to the same position.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/api/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string filters = (data[0] & 1) ? "anna\x1f" "dach" : "\x1f";
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto position = leadrouter::server::DecodePageToken(text, filters);
  if (position.ok() && *position != 0) {
    auto again = leadrouter::server::DecodePageToken(
        leadrouter::server::EncodePageToken(*position, filters), filters);
    if (!again.ok() || *again != *position) __builtin_trap();
  }
  const int64_t head = (data[0] & 2) ? 1000 : 0;
  auto cursor = leadrouter::server::ParseWatchCursor(text, head);
  if (cursor.ok() && (*cursor < 0 || *cursor > head)) __builtin_trap();
  return 0;
}

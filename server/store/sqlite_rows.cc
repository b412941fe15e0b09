#include "server/store/sqlite_rows.h"

#include <utility>
#include <vector>

#include "routing/assignment_lifecycle.h"

namespace leadrouter::server {

absl::Status ScrubEvents(SqliteDb& db, const std::string& lead_id,
                         std::string_view company_domain) {
  std::vector<std::pair<int64_t, std::string>> scrubbed;
  {
    auto read = db.Prepare(
        "SELECT seq, event FROM events WHERE lead_id = ?1 ORDER BY seq");
    if (!read.ok()) return read.status();
    read->BindText(1, lead_id);
    while (true) {
      absl::StatusOr<bool> row = read->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::StatusOr<leadrouter::v1::AssignmentEvent> e =
          ParseEvent(read->ColumnInt64(0), read->ColumnBlob(1));
      if (!e.ok()) return e.status();
      routing::ScrubEvent(company_domain, &*e);
      e->clear_cursor();  // the row's seq is the cursor
      scrubbed.emplace_back(read->ColumnInt64(0), e->SerializeAsString());
    }
  }
  auto write = db.Prepare("UPDATE events SET event = ?2 WHERE seq = ?1");
  if (!write.ok()) return write.status();
  for (const auto& [seq, bytes] : scrubbed) {
    write->Reset();
    write->BindInt64(1, seq);
    write->BindBlob(2, bytes);
    if (auto s = write->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace leadrouter::server

// The SQLite schema of the embedded store and the routing state's tables:
// creating and upgrading the schema, loading the state at start, and writing
// a decision's state changes inside the store's transaction.
//
//   RETURN_IF_ERROR(CreateOrUpgradeSchema(db));
//   absl::StatusOr<routing::RoutingState> state = LoadRoutingState(db);
//   StateWriter writer(db);            // inside BEGIN ... COMMIT
//   RETURN_IF_ERROR(writer.Write(decision.changes));
#ifndef LEADROUTER_SERVER_STORE_SQLITE_STATE_H_
#define LEADROUTER_SERVER_STORE_SQLITE_STATE_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "routing/routing_state.h"
#include "server/store/sqlite_db.h"

namespace leadrouter::server {

// The schema this leadrouterd writes (PRAGMA user_version), and the mark
// every leadrouter database carries (PRAGMA application_id, "LRDR").
inline constexpr int kSqliteSchemaVersion = 5;
inline constexpr int64_t kSqliteApplicationId = 0x4c524452;

// Creates the tables of a new database, or upgrades an older schema in
// place keeping every row.
absl::Status CreateOrUpgradeSchema(SqliteDb& db);

// Every table of routing state, read into memory.
absl::StatusOr<routing::RoutingState> LoadRoutingState(SqliteDb& db);

// Writes state changes as upserts; statements are prepared on first use,
// so make one writer per transaction.
class StateWriter {
 public:
  explicit StateWriter(SqliteDb& db) : db_(db) {}
  absl::Status Write(const routing::StateChanges& changes);

 private:
  // Runs `sql` (prepared into `slot` once) with the parameters `bind` sets.
  absl::Status Run(std::optional<SqliteStatement>& slot, const char* sql,
                   const std::function<void(SqliteStatement&)>& bind);

  SqliteDb& db_;
  std::optional<SqliteStatement> open_, rotation_, credit_, daily_,
      company_upsert_, company_delete_, away_upsert_, away_delete_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_SQLITE_STATE_H_

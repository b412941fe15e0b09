// The PostgreSQL store's schema: versioned migrations (server/store/
// migrations/NNNN_name.sql, built into the binary) applied in order, each in
// its own transaction, under a session advisory lock so that replicas
// starting together apply each exactly once. `leadrouterd --migrate_only`
// runs this and exits.
//
//   RETURN_IF_ERROR(MigratePgSchema(db));
#ifndef LEADROUTER_SERVER_STORE_PG_SCHEMA_H_
#define LEADROUTER_SERVER_STORE_PG_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/pg_db.h"

namespace leadrouter::server {

// The newest schema version this build knows.
int LatestPgSchemaVersion();

// Applies every migration the database lacks; FAILED_PRECONDITION if the
// database has a newer schema than this build. Returns how many it applied.
absl::StatusOr<int> MigratePgSchema(PgConnection& db);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_PG_SCHEMA_H_

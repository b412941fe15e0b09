// The PostgreSQL store's routing-state tables (schema in migrations/): the
// writer's copy of the routing state is loaded whole at start or after a
// failure, and otherwise refreshed from the rows written since the version
// it reflects; a decision's state changes are sent as upserts into the
// writer's pipeline.
//
//   RETURN_IF_ERROR(PreparePgStateStatements(db));
//   RETURN_IF_ERROR(RefreshPgState(db, /*since=*/-1, &state));  // whole
//   SendPgStateChanges(pipeline, decision.changes, version, capacity);
#ifndef LEADROUTER_SERVER_STORE_PG_STATE_H_
#define LEADROUTER_SERVER_STORE_PG_STATE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "routing/routing_state.h"
#include "server/store/pg_db.h"

namespace leadrouter::server {

absl::Status PreparePgStateStatements(PgConnection& db);

// since < 0: replaces `state` with every stored row. Otherwise applies the
// rows written by versions after `since`. Runs in the caller's transaction
// (no pipeline may be open on `db`).
absl::Status RefreshPgState(PgConnection& db, int64_t since,
                            routing::RoutingState* state);

// Queues the upserts of `changes`, stamped with `version`. A rep's open
// count that grows is written with `capacity(rep)`, which the database
// checks.
void SendPgStateChanges(
    PgPipeline& pipeline, const routing::StateChanges& changes, int64_t version,
    const std::function<std::optional<int>(const std::string&)>& capacity);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_PG_STATE_H_

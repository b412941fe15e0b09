#include "server/store/pg_schema.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/log.h"

namespace leadrouter::server {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

constexpr Migration kMigrations[] = {
#include "pg_migrations.inc"
};

// The key of the session advisory lock held while migrating (any constant
// no other application on the database uses: "lead" in ASCII).
constexpr int64_t kMigrationLock = 0x6c656164;

absl::StatusOr<int> ApplyMissing(PgConnection& db) {
  if (auto s = db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version integer PRIMARY KEY, name text NOT NULL, "
                       "applied_at timestamptz NOT NULL DEFAULT now())");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<PgResult> applied = db.Query(
      "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations");
  if (!applied.ok()) return applied.status();
  const int64_t current = applied->Int(0, 0);
  if (current > LatestPgSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database has schema version ", current,
                     ", newer than this leadrouterd (", LatestPgSchemaVersion(),
                     "); run a newer release"));
  }
  int count = 0;
  for (const Migration& m : kMigrations) {
    if (m.version <= current) continue;
    if (auto s = db.Exec("BEGIN"); !s.ok()) return s;
    absl::Status s = db.Exec(m.sql);
    if (s.ok()) {
      s = db.Query(
                "INSERT INTO schema_migrations (version, name) "
                "VALUES ($1, $2)",
                PgParams().Int(m.version).Text(m.name))
              .status();
    }
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      db.Exec("ROLLBACK").IgnoreError();
      return absl::Status(
          s.code(), absl::StrCat("migration ", m.name, ": ", s.message()));
    }
    LogInfo("schema_migrated", {{"migration", m.name}});
    ++count;
  }
  return count;
}

}  // namespace

int LatestPgSchemaVersion() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

absl::StatusOr<int> MigratePgSchema(PgConnection& db) {
  // Blocks while another replica migrates; it holds the lock until done.
  if (auto s = db.Query("SELECT pg_advisory_lock($1::bigint)",
                        PgParams().Int(kMigrationLock))
                   .status();
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int> applied = ApplyMissing(db);
  db.Query("SELECT pg_advisory_unlock($1::bigint)",
           PgParams().Int(kMigrationLock))
      .IgnoreError();
  return applied;
}

}  // namespace leadrouter::server

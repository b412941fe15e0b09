// A thin RAII layer over the SQLite C API: a connection and prepared
// statements whose errors come back as absl::Status.
//
//   absl::StatusOr<SqliteDb> db = SqliteDb::Open("/var/lib/x/db.sqlite");
//   absl::StatusOr<SqliteStatement> q = db->Prepare("SELECT 1 WHERE ?1");
//   q->BindInt64(1, 1);
//   absl::StatusOr<bool> row = q->Step();
#ifndef LEADROUTER_SERVER_STORE_SQLITE_DB_H_
#define LEADROUTER_SERVER_STORE_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace leadrouter::server {

// One prepared statement. Not thread-safe; owned by one connection user.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&&) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) noexcept;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQL ("?1").
  void BindText(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  void BindInt64(int index, int64_t value);

  // True when a row is ready to read, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Step() until done, for statements that return no rows.
  absl::Status Run();
  // Clears bindings and rewinds for the next use.
  void Reset();

  // Columns are 0-based.
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One connection. Not thread-safe: each thread or mutex owns its own.
class SqliteDb {
 public:
  // Opens (creating if missing) the database file, in WAL mode with full
  // fsync on commit and a busy timeout.
  static absl::StatusOr<SqliteDb> Open(const std::string& path);
  // Opens an existing file read-only, as it is (no WAL switch): for
  // looking at a file before trusting it, such as a backup.
  static absl::StatusOr<SqliteDb> OpenReadOnly(const std::string& path);

  SqliteDb(SqliteDb&&) noexcept;
  SqliteDb& operator=(SqliteDb&&) noexcept;
  ~SqliteDb();

  absl::Status Exec(const std::string& sql);
  // The rowid of the last row this connection inserted.
  int64_t LastInsertRowid() const;
  // Rows the last INSERT, UPDATE or DELETE of this connection changed.
  int64_t Changes() const;
  absl::StatusOr<SqliteStatement> Prepare(const std::string& sql);

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_SQLITE_DB_H_

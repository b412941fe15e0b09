// A thin RAII layer over libpq (PostgreSQL 15's C client): one connection,
// prepared statements, and pipelines that send many statements in one round
// trip. Errors become absl::Status: UNAVAILABLE when a retry may succeed (the
// connection is gone, the server is starting or shutting down, a
// serialization failure), ABORTED for a refused constraint, INTERNAL for a
// bug. Parameters go as text (numbers, strings) or binary (bytes); results
// come back binary.
//
//   absl::StatusOr<PgConnection> db = PgConnection::Connect(uri);
//   RETURN_IF_ERROR(db->Prepare("get", "SELECT assignment FROM a WHERE id =
//   $1")); PgPipeline p(*db); p.Send("get", PgParams().Text(lead_id));
//   absl::StatusOr<std::vector<PgResult>> results = p.Sync();
#ifndef LEADROUTER_SERVER_STORE_PG_DB_H_
#define LEADROUTER_SERVER_STORE_PG_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct pg_conn;
struct pg_result;

namespace leadrouter::server {

// Parameters of one statement, in order ($1, $2, ...).
class PgParams {
 public:
  PgParams& Text(std::string_view text);
  PgParams& Int(int64_t value);
  PgParams& Bytes(std::string_view bytes);
  PgParams& Null();
  // A text[] parameter (e.g. for `= ANY($1)`).
  PgParams& TextArray(const std::vector<std::string>& values);

  int size() const { return static_cast<int>(values_.size()); }
  // False when a text value holds a NUL byte, which libpq would cut off
  // there (so "a\0b" would be sent as "a"): such parameters are refused.
  bool valid() const { return valid_; }
  // Pointers into this object: valid while it lives unchanged.
  std::vector<const char*> Values() const;
  const std::vector<int>& Lengths() const { return lengths_; }
  const std::vector<int>& Formats() const { return formats_; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  bool valid_ = true;
};

// One statement's result, binary format.
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  // int2, int4 or int8 columns.
  int64_t Int(int row, int column) const;
  // text or bytea columns: the raw bytes.
  std::string Bytes(int row, int column) const;

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  // `conninfo` is a libpq URI or key=value string; libpq's environment
  // variables (PGHOST, PGPASSWORD, ...) and password file fill the rest.
  // The error never repeats the password.
  static absl::StatusOr<PgConnection> Connect(const std::string& conninfo);

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  // Runs one or more statements without parameters.
  absl::Status Exec(const std::string& sql);
  // Runs one statement with parameters and returns its rows.
  absl::StatusOr<PgResult> Query(const std::string& sql,
                                 const PgParams& params = PgParams());
  // Prepares `sql` under `name` for PgPipeline::Send.
  absl::Status Prepare(const std::string& name, const std::string& sql);

  // False once the connection is lost; make a new one.
  bool ok() const;
  // Connected, outside any transaction and pipeline: fit for the next user.
  bool idle() const;
  // The socket, for waiting on notifications.
  int socket() const;
  // Reads what arrived on the socket and returns the payloads of the
  // notifications received so far, on every channel this connection
  // LISTENs to.
  absl::StatusOr<std::vector<std::string>> Notifications();

  pg_conn* raw() const { return conn_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

// Statements sent in pipeline mode: nothing waits for the server until
// Sync, which returns every statement's result in order (one round trip).
// The first failing statement's error is Sync's error, and the statements
// after it did not run. A pipeline is used on one connection at a time.
class PgPipeline {
 public:
  explicit PgPipeline(PgConnection& db);
  ~PgPipeline();  // leaves pipeline mode

  // Queues a prepared statement (or, with `sql` set, an unnamed one).
  void Send(const std::string& name, const PgParams& params);
  void SendSql(const std::string& sql, const PgParams& params = PgParams());
  int pending() const { return pending_; }
  absl::StatusOr<std::vector<PgResult>> Sync();

 private:
  PgConnection& db_;
  int pending_ = 0;
  absl::Status error_;  // a send that failed; reported by Sync
};

// The error of a failed libpq call on `conn`, mapped as described above.
absl::Status PgError(pg_conn* conn, pg_result* result, std::string_view what);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_PG_DB_H_

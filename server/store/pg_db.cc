#include "server/store/pg_db.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace leadrouter::server {
namespace {

// Type oids of the columns PgResult reads.
constexpr Oid kInt2 = 21;
constexpr Oid kInt4 = 23;
constexpr Oid kInt8 = 20;

int64_t BigEndian(const char* bytes, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  // Sign-extend the narrower types.
  if (size < 8 && (v >> (size * 8 - 1)) != 0) v |= ~uint64_t{0} << (size * 8);
  return static_cast<int64_t>(v);
}

// Quotes `s` as an element of a text[] literal.
std::string ArrayElement(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool Ok(PGresult* r) {
  const ExecStatusType s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

}  // namespace

absl::Status PgError(PGconn* conn, PGresult* result, std::string_view what) {
  const char* state = result != nullptr
                          ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                          : nullptr;
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  while (!message.empty() &&
         (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  message = absl::StrCat("postgresql: ", std::string(what), ": ", message);
  const std::string sqlstate = state != nullptr ? state : "";
  if ((conn != nullptr && PQstatus(conn) == CONNECTION_BAD) ||
      sqlstate.empty() ||  // no server answer: the connection failed
      absl::StartsWith(sqlstate, "08") ||  // connection exception
      absl::StartsWith(sqlstate, "53") ||  // insufficient resources
      absl::StartsWith(sqlstate, "57") ||  // operator intervention, shutdown
      sqlstate == "40001" || sqlstate == "40P01" ||  // serialization, deadlock
      sqlstate == "55P03") {                         // lock not available
    return absl::UnavailableError(message);
  }
  if (absl::StartsWith(sqlstate, "23")) {  // integrity constraint violation
    return absl::AbortedError(message);
  }
  if (sqlstate == "22021") {  // not valid UTF-8: the caller's value
    return absl::InvalidArgumentError(message);
  }
  return absl::InternalError(absl::StrCat(message, " [", sqlstate, "]"));
}

PgParams& PgParams::Text(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) valid_ = false;
  values_.emplace_back(text);
  null_.push_back(false);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Int(int64_t value) { return Text(absl::StrCat(value)); }

PgParams& PgParams::Bytes(std::string_view bytes) {
  values_.emplace_back(bytes);
  null_.push_back(false);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::Null() {
  values_.emplace_back();
  null_.push_back(true);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::TextArray(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal.push_back(',');
    literal += ArrayElement(values[i]);
  }
  literal.push_back('}');
  return Text(literal);
}

std::vector<const char*> PgParams::Values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    out.push_back(null_[i] ? nullptr : values_[i].data());
  }
  return out;
}

PgResult::PgResult(PGresult* result) : result_(result) {}
PgResult::PgResult(PgResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

int64_t PgResult::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const Oid type = PQftype(result_, column);
  const int size = PQgetlength(result_, row, column);
  if ((type == kInt8 && size == 8) || (type == kInt4 && size == 4) ||
      (type == kInt2 && size == 2)) {
    return BigEndian(PQgetvalue(result_, row, column), size);
  }
  return 0;
}

std::string PgResult::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     PQgetlength(result_, row, column));
}

absl::StatusOr<PgConnection> PgConnection::Connect(
    const std::string& conninfo) {
  // Defaults first; what `conninfo` says wins (expand_dbname).
  const char* keys[] = {"connect_timeout",
                        "application_name",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        nullptr};
  const char* values[] = {"5", "leadrouterd",    "1",    "10", "5",
                          "3", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  PgConnection db(conn);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    return PgError(conn, nullptr, "connect");
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return db;
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}
PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}
PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ok() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool PgConnection::idle() const {
  return ok() && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

int PgConnection::socket() const { return PQsocket(conn_); }

namespace {

// Takes ownership of `r`: its rows, or the error it carries.
absl::StatusOr<PgResult> Checked(PGconn* conn, PGresult* r,
                                 std::string_view what) {
  if (r != nullptr && Ok(r)) return PgResult(r);
  absl::Status error = PgError(conn, r, what);
  PQclear(r);
  return error;
}

// The first line of a statement, for error messages.
std::string_view Head(std::string_view sql) {
  sql = sql.substr(0, std::min<size_t>(sql.find('\n'), 80));
  return sql;
}

}  // namespace

absl::Status PgConnection::Exec(const std::string& sql) {
  return Checked(conn_, PQexec(conn_, sql.c_str()), Head(sql)).status();
}

namespace {

absl::Status NulRefused() {
  return absl::InvalidArgumentError(
      "a text value holds a NUL byte, which no stored value does");
}

}  // namespace

absl::StatusOr<PgResult> PgConnection::Query(const std::string& sql,
                                             const PgParams& params) {
  if (!params.valid()) return NulRefused();
  const std::vector<const char*> values = params.Values();
  return Checked(conn_,
                 PQexecParams(conn_, sql.c_str(), params.size(), nullptr,
                              values.data(), params.Lengths().data(),
                              params.Formats().data(), /*resultFormat=*/1),
                 Head(sql));
}

absl::Status PgConnection::Prepare(const std::string& name,
                                   const std::string& sql) {
  return Checked(conn_, PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr),
                 "prepare " + name)
      .status();
}

absl::StatusOr<std::vector<std::string>> PgConnection::Notifications() {
  if (PQconsumeInput(conn_) == 0) {
    return PgError(conn_, nullptr, "read notifications");
  }
  std::vector<std::string> payloads;
  while (PGnotify* n = PQnotifies(conn_)) {
    payloads.emplace_back(n->extra != nullptr ? n->extra : "");
    PQfreemem(n);
  }
  return payloads;
}

PgPipeline::PgPipeline(PgConnection& db) : db_(db) {
  if (PQenterPipelineMode(db_.raw()) != 1) {
    error_ = PgError(db_.raw(), nullptr, "enter pipeline mode");
  }
}

PgPipeline::~PgPipeline() {
  if (pending_ > 0) Sync().IgnoreError();
  PQexitPipelineMode(db_.raw());
}

void PgPipeline::Send(const std::string& name, const PgParams& params) {
  if (!error_.ok()) return;
  if (!params.valid()) {
    error_ = NulRefused();
    return;
  }
  const std::vector<const char*> values = params.Values();
  if (PQsendQueryPrepared(db_.raw(), name.c_str(), params.size(), values.data(),
                          params.Lengths().data(), params.Formats().data(),
                          1) != 1) {
    error_ = PgError(db_.raw(), nullptr, name);
    return;
  }
  ++pending_;
}

void PgPipeline::SendSql(const std::string& sql, const PgParams& params) {
  if (!error_.ok()) return;
  if (!params.valid()) {
    error_ = NulRefused();
    return;
  }
  const std::vector<const char*> values = params.Values();
  if (PQsendQueryParams(db_.raw(), sql.c_str(), params.size(), nullptr,
                        values.data(), params.Lengths().data(),
                        params.Formats().data(), 1) != 1) {
    error_ = PgError(db_.raw(), nullptr, Head(sql));
    return;
  }
  ++pending_;
}

absl::StatusOr<std::vector<PgResult>> PgPipeline::Sync() {
  PGconn* conn = db_.raw();
  const int expected = pending_;
  pending_ = 0;
  if (!error_.ok()) {
    absl::Status e = std::exchange(error_, absl::OkStatus());
    // What was sent before the failed send still needs reading.
    if (expected > 0 && PQstatus(conn) == CONNECTION_OK &&
        PQpipelineSync(conn) == 1) {
      // Each statement's results end with a null; the sync result ends all.
      while (PQstatus(conn) == CONNECTION_OK) {
        PGresult* r = PQgetResult(conn);
        if (r == nullptr) continue;
        const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync) break;
      }
    }
    return e;
  }
  if (PQpipelineSync(conn) != 1) return PgError(conn, nullptr, "pipeline sync");
  std::vector<PgResult> results;
  results.reserve(expected);
  absl::Status first_error;
  // Each statement: its result, then a null; at the end the sync result.
  while (true) {
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) {
      if (PQstatus(conn) != CONNECTION_OK) {
        return PgError(conn, nullptr, "pipeline");
      }
      continue;  // the end of one statement's results
    }
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(r);
      continue;  // after the first error; that one is reported
    }
    if (!Ok(r)) {
      if (first_error.ok()) first_error = PgError(conn, r, "pipeline");
      PQclear(r);
      if (PQstatus(conn) != CONNECTION_OK) return first_error;
      continue;
    }
    results.emplace_back(r);
  }
  if (!first_error.ok()) return first_error;
  return results;
}

}  // namespace leadrouter::server

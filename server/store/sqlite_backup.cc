// Backup and restore of the embedded store. A backup is SQLite's VACUUM INTO
// on a connection of its own: one read transaction, so the copy holds
// exactly what was committed when it began, and in WAL mode it never blocks
// the writer (routes go on meanwhile). The copy is a compact, standalone
// database file that keeps the schema version and the leadrouter mark
// (application_id), which Restore checks before it trusts the file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "server/store/sqlite_state.h"
#include "server/store/sqlite_store.h"

namespace leadrouter::server {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<int64_t> PragmaInt(SqliteDb& db, const char* pragma) {
  auto q = db.Prepare(absl::StrCat("PRAGMA ", pragma));
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  return q->ColumnInt64(0);
}

// fsync()s a file or directory so a rename is durable.
absl::Status Sync(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot fsync ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Whether `file` is a leadrouter database this release can run on.
absl::Status CheckBackupFile(const std::string& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("restore: ", file, " is not a file"));
  }
  absl::StatusOr<SqliteDb> db = SqliteDb::OpenReadOnly(file);
  if (!db.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "restore: ", file, " cannot be opened: ", db.status().message()));
  }
  absl::StatusOr<int64_t> app = PragmaInt(*db, "application_id");
  if (!app.ok() || *app != kSqliteApplicationId) {
    return absl::InvalidArgumentError(absl::StrCat(
        "restore: ", file,
        " is not a leadrouter backup (make one with `leadctl backup`)"));
  }
  absl::StatusOr<int64_t> version = PragmaInt(*db, "user_version");
  if (!version.ok()) return version.status();
  if (*version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "restore: ", file, " has schema version ", *version,
        ", newer than this leadrouterd (", kSqliteSchemaVersion,
        "); restore it with a newer release"));
  }
  auto check = db->Prepare("PRAGMA quick_check");
  if (!check.ok()) return check.status();
  absl::StatusOr<bool> row = check->Step();
  if (!row.ok() || !*row || check->ColumnText(0) != "ok") {
    return absl::InvalidArgumentError(absl::StrCat(
        "restore: ", file, " is damaged (integrity check failed)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqliteStore::Backup(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return absl::AlreadyExistsError(
        absl::StrCat("backup: ", path, " already exists"));
  }
  // A connection of its own: the reader's lock would hold up reads for the
  // whole copy.
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path_);
  if (!db.ok()) return db.status();
  auto vacuum = db->Prepare("VACUUM INTO ?1");
  if (!vacuum.ok()) return vacuum.status();
  vacuum->BindText(1, path);
  if (auto s = vacuum->Run(); !s.ok()) {
    fs::remove(path, ec);
    return s;
  }
  // It holds personal data: the owner's alone, like the data directory.
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
  return Sync(path, O_RDONLY);
}

absl::Status SqliteStore::Restore(const std::string& file,
                                  const std::string& data_dir) {
  // Checked before the directory is touched: a bad file changes nothing.
  if (auto s = CheckBackupFile(file); !s.ok()) return s;
  const std::string db_path = data_dir + "/leadrouter.db";
  std::error_code ec;
  if (fs::exists(db_path, ec) || fs::exists(db_path + "-wal", ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "restore: ", data_dir,
        " already holds a store; restore into a new, empty --data_dir"));
  }
  absl::StatusOr<int> lock = LockDataDir(data_dir);
  if (!lock.ok()) return lock.status();
  const std::string partial = db_path + ".restoring";
  absl::Status status = [&]() -> absl::Status {
    fs::remove(partial, ec);
    if (!fs::copy_file(file, partial, ec)) {
      return absl::UnavailableError(absl::StrCat(
          "restore: cannot copy ", file, " to ", partial, ": ", ec.message()));
    }
    fs::permissions(partial, fs::perms::owner_read | fs::perms::owner_write,
                    ec);
    if (auto s = Sync(partial, O_RDONLY); !s.ok()) return s;
    fs::rename(partial, db_path, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("restore: cannot rename ", partial, ": ", ec.message()));
    }
    return Sync(data_dir, O_RDONLY | O_DIRECTORY);
  }();
  if (!status.ok()) fs::remove(partial, ec);
  ::close(*lock);
  return status;
}

}  // namespace leadrouter::server

#include "tests/server/store_under_test.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/store/pg_store.h"
#include "server/store/sqlite_store.h"
#include "tests/server/pg_cluster.h"

namespace leadrouter::server {

std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

StoreUnderTest::StoreUnderTest(StoreKind kind, const std::string& name)
    : kind_(kind) {
  std::string safe;
  for (char c : name) safe.push_back(std::isalnum(c) ? std::tolower(c) : '_');
  if (kind == StoreKind::kSqlite) {
    location_ =
        absl::StrCat(::testing::TempDir(), "/store_", safe, "_", ::getpid());
    std::filesystem::remove_all(location_);
    return;
  }
  absl::StatusOr<std::string> uri =
      PgCluster::Shared().NewDatabase(safe.substr(0, 40));
  EXPECT_TRUE(uri.ok()) << uri.status();
  if (uri.ok()) location_ = *uri;
}

absl::StatusOr<std::unique_ptr<AssignmentStore>> StoreUnderTest::Open() {
  if (kind_ == StoreKind::kSqlite) {
    auto store = SqliteStore::Open(location_);
    if (!store.ok()) return store.status();
    return std::unique_ptr<AssignmentStore>(*std::move(store));
  }
  auto store = PgStore::Open({.conninfo = location_});
  if (!store.ok()) return store.status();
  return std::unique_ptr<AssignmentStore>(*std::move(store));
}

}  // namespace leadrouter::server

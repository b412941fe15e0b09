// The stores the shared conformance tests run on: the same test body runs
// once on the embedded SQLite store (a fresh data directory) and once on the
// PostgreSQL store (a fresh database in the test process's throwaway
// cluster), so the two cannot drift apart.
//
//   class MyTest : public ::testing::TestWithParam<StoreKind> {};
//   INSTANTIATE_TEST_SUITE_P(Stores, MyTest, AllStores(), StoreName);
//   StoreUnderTest where(GetParam(), "my_test");
//   auto store = where.Open();  // again after a Close: a restart
#ifndef LEADROUTER_TESTS_SERVER_STORE_UNDER_TEST_H_
#define LEADROUTER_TESTS_SERVER_STORE_UNDER_TEST_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

enum class StoreKind { kSqlite, kPostgres };

inline auto AllStores() {
  return ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres);
}
std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info);

class StoreUnderTest {
 public:
  // A new, empty location for the store.
  StoreUnderTest(StoreKind kind, const std::string& name);

  // Opens the store at the location (again after a Close: a restart). On
  // PostgreSQL several may be open at once: replicas.
  absl::StatusOr<std::unique_ptr<AssignmentStore>> Open();

  StoreKind kind() const { return kind_; }
  // The data directory, or the database's URI.
  const std::string& location() const { return location_; }

 private:
  StoreKind kind_;
  std::string location_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_TESTS_SERVER_STORE_UNDER_TEST_H_

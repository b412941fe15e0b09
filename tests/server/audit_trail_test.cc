// The audit trail writer on a real embedded store: a flood of refusals is
// written in batches without blocking the callers, and whatever does not
// fit the bounded queue is still counted in a summary event, so the trail
// accounts for every refused call.
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_trail.h"
#include "server/store/sqlite_store.h"

namespace leadrouter::server {
namespace {

TEST(AuditTrailTest, AFloodOfRefusalsIsAccountedForInFull) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/audit_trail_", ::getpid());
  std::filesystem::remove_all(dir);
  auto store = SqliteStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int kRefusals = 20000;  // several times the queue
  {
    AuditTrail audit(**store, [] { return absl::Now(); });
    for (int i = 0; i < kRefusals; ++i) {
      leadrouter::v1::AuditEvent e;
      e.set_principal("unauthenticated");
      e.set_method("/leadrouter.v1.LeadRouter/RouteLead");
      e.set_code(16);
      audit.RecordDenied(std::move(e));
    }
    leadrouter::v1::AuditEvent change;
    change.set_principal("admin");
    change.set_method("/leadrouter.v1.RoutingAdmin/ApplyConfig");
    ASSERT_TRUE(audit.Record(change).ok());  // durable before it returns
    audit.Stop();  // writes what is queued
  }
  int64_t accounted = 0;
  int changes = 0;
  AuditQuery query;
  query.limit = 1000;
  const std::regex summary("^(\\d+) denied calls not recorded one by one");
  while (true) {
    auto page = (*store)->ListAudit(query);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const auto& e : *page) {
      std::smatch m;
      if (e.principal() == "admin") {
        ++changes;
      } else if (std::regex_search(e.detail(), m, summary)) {
        int64_t n = 0;
        ASSERT_TRUE(absl::SimpleAtoi(m[1].str(), &n));
        accounted += n;
      } else {
        ++accounted;
      }
    }
    query.before_id = page->back().id();
  }
  EXPECT_EQ(accounted, kRefusals);
  EXPECT_EQ(changes, 1);
  (*store)->Close();
}

}  // namespace
}  // namespace leadrouter::server

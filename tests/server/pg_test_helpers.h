// Helpers of the PostgreSQL store tests (pg_store_test.cc,
// pg_replicas_test.cc): leads, routing tables, routes that wait for their
// answer, replicas on a database of the test's cluster, and SQL counts.
#ifndef LEADROUTER_TESTS_SERVER_PG_TEST_HELPERS_H_
#define LEADROUTER_TESTS_SERVER_PG_TEST_HELPERS_H_

#include <future>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "routing/routing_table.h"
#include "server/store/pg_db.h"
#include "server/store/pg_store.h"

namespace leadrouter::server::pg_test {

inline leadrouter::v1::Lead MakeLead(const std::string& id) {
  leadrouter::v1::Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(50);
  return lead;
}

inline std::shared_ptr<const routing::RoutingTable> Table(const char* text) {
  leadrouter::v1::RoutingConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  auto table = routing::RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

// One rep "a" of `capacity` in team "t", which every lead goes to.
inline std::shared_ptr<const routing::RoutingTable> OneRepTable(int capacity) {
  return Table(absl::StrCat("reps { id: \"a\" capacity: ", capacity,
                            " } teams { id: \"t\" members: [ \"a\" ] } "
                            "rules { id: \"all\" target { team: \"t\" } }")
                   .c_str());
}

inline PgStore::CapacityFn CapacityOf(
    std::shared_ptr<const routing::RoutingTable> t) {
  return [t](const std::string& rep) -> std::optional<int> {
    const routing::CompiledRep* r = t->FindRep(rep);
    if (r == nullptr) return std::nullopt;
    return r->rep->capacity();
  };
}

inline absl::StatusOr<RouteOutcome> RouteNow(
    AssignmentStore& store, std::shared_ptr<const routing::RoutingTable> table,
    const leadrouter::v1::Lead& lead, absl::Time now) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  store.Route(
      lead,
      [table, now](const leadrouter::v1::Lead& lead,
                   const routing::RoutingState& s) {
        return routing::Routed(routing::Decide(*table, lead, s, now));
      },
      [&](absl::StatusOr<RouteOutcome> outcome) {
        done.set_value(std::move(outcome));
      });
  return done.get_future().get();
}

inline std::unique_ptr<PgStore> OpenReplica(
    const std::string& uri, PgStore::CapacityFn capacity = nullptr) {
  auto store =
      PgStore::Open({.conninfo = uri, .capacity = std::move(capacity)});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

inline int64_t QueryInt(const std::string& uri, const std::string& sql) {
  auto db = PgConnection::Connect(uri);
  EXPECT_TRUE(db.ok()) << db.status();
  auto r = db->Query(sql);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->rows() > 0 ? r->Int(0, 0) : -1;
}

}  // namespace leadrouter::server::pg_test

#endif  // LEADROUTER_TESTS_SERVER_PG_TEST_HELPERS_H_

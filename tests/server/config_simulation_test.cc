// The simulator's feed on both stores, in-process: it reads the window a
// page at a time (more leads than one page), one simulation runs at a
// time, and a caller who leaves stops it.
#include "server/api/config_simulation.h"

#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "tests/server/store_under_test.h"

namespace leadrouter::server {
namespace {

class ConfigSimulationTest : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, ConfigSimulationTest, AllStores(), StoreName);

constexpr char kConfig[] = R"pb(
  reps { id: "a" capacity: 100000 }
  reps { id: "b" capacity: 100000 }
  teams { id: "t" members: [ "a", "b" ] }
  rules { id: "all" target { team: "t" } }
)pb";

TEST_P(ConfigSimulationTest, PagesOneAtATimeAndACallerWhoLeavesStopsIt) {
  leadrouter::v1::RoutingConfig base;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kConfig, &base));
  auto table = RunningConfig::Compile(base, {});
  ASSERT_TRUE(table.ok()) << table.status();
  StoreUnderTest where(GetParam(), "config_simulation");
  auto store = where.Open();
  ASSERT_TRUE(store.ok()) << store.status();
  // More leads than one page.
  const int n = kSimulationPage + 200;
  const absl::Time start = absl::FromUnixSeconds(1790000000);
  for (int i = 0; i < n; ++i) {
    leadrouter::v1::Lead lead;
    lead.set_id(absl::StrCat("L", i));
    lead.set_country_code("DE");
    lead.set_stage(leadrouter::v1::STAGE_SQL);
    const absl::Time now = start + absl::Seconds(i);
    std::promise<bool> done;
    (*store)->Route(
        lead,
        [&](const leadrouter::v1::Lead& l, const routing::RoutingState& s) {
          return routing::Routed(routing::Decide(**table, l, s, now));
        },
        [&](absl::StatusOr<RouteOutcome> o) { done.set_value(o.ok()); });
    ASSERT_TRUE(done.get_future().get());
  }
  CurrentTable current(*table);
  RunningConfig::Options options;
  options.base = base;
  RunningConfig running(current, options);
  ConfigSimulator simulator(running, **store,
                            [&] { return start + absl::Hours(1); });
  leadrouter::v1::SimulateConfigRequest request;
  *request.mutable_routing_config() = base;
  request.mutable_since()->set_seconds(absl::ToUnixSeconds(start));

  auto report = simulator.Run(request);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->leads(), n);
  EXPECT_EQ(report->changed(), 0);

  // A limit inside the second page.
  request.set_limit(kSimulationPage + 10);
  report = simulator.Run(request);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->leads(), kSimulationPage + 10);
  EXPECT_TRUE(report->truncated());
  request.clear_limit();

  // While one runs, another is refused; a caller who left stops it.
  int checks = 0;
  absl::Status second;
  auto stopped = simulator.Run(request, [&] {
    if (++checks == 1) second = simulator.Run(request).status();
    return checks > 1;
  });
  EXPECT_EQ(second.code(), absl::StatusCode::kResourceExhausted) << second;
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(checks, 2);  // stopped at its second check, before reading on
  // And the next one runs.
  EXPECT_TRUE(simulator.Run(request).ok());
  (*store)->Close();
}

}  // namespace
}  // namespace leadrouter::server

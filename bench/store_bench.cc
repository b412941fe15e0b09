// How fast the embedded store acknowledges routes with real fsyncs, from one
// caller and from many at once. Many concurrent callers share group commits,
// so their throughput should far exceed one fsync per lead; the
// leads_per_commit counter shows the mean group size.
//
//   ./build/bench/store_bench --benchmark_filter=Route
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "google/protobuf/text_format.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "server/store/sqlite_store.h"

namespace leadrouter {
namespace {

constexpr char kConfig[] = R"pb(
  reps { id: "r1" capacity: 100000 }
  reps { id: "r2" capacity: 100000 }
  reps { id: "r3" capacity: 100000 }
  teams { id: "all" members: [ "r1", "r2", "r3" ] }
  rules { id: "all" target { team: "all" } }
)pb";

struct Fixture {
  std::string dir;
  std::shared_ptr<const routing::RoutingTable> table;
  std::unique_ptr<server::SqliteStore> store;
  std::atomic<int64_t> next_id = 0;
};

Fixture* shared = nullptr;

void SetUp(const benchmark::State&) {
  shared = new Fixture();
  shared->dir = std::filesystem::temp_directory_path() /
                ("leadrouter-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(shared->dir);
  v1::RoutingConfig config;
  google::protobuf::TextFormat::ParseFromString(kConfig, &config);
  auto table = routing::RoutingTable::Create(config);
  auto store = server::SqliteStore::Open(shared->dir);
  if (!table.ok() || !store.ok()) std::abort();
  shared->table = *std::move(table);
  shared->store = *std::move(store);
}

void TearDown(const benchmark::State&) {
  shared->store.reset();
  std::filesystem::remove_all(shared->dir);
  delete shared;
  shared = nullptr;
}

void BM_RouteDurably(benchmark::State& state) {
  v1::Lead lead;
  lead.set_stage(v1::STAGE_SQL);
  lead.set_country_code("DE");
  const server::SqliteStore::CommitStats before = shared->store->Stats();
  for (auto _ : state) {
    lead.set_id("B-" + std::to_string(shared->next_id++));
    std::promise<absl::StatusOr<server::RouteOutcome>> done;
    shared->store->Route(
        lead,
        [&](const leadrouter::v1::Lead& lead, const routing::RoutingState& s) {
          return routing::Routed(routing::Decide(
              *shared->table, lead, s, absl::UnixEpoch() + absl::Seconds(1)));
        },
        [&](absl::StatusOr<server::RouteOutcome> outcome) {
          done.set_value(std::move(outcome));
        });
    if (!done.get_future().get().ok()) state.SkipWithError("route failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const auto after = shared->store->Stats();
    const double commits = static_cast<double>(after.commits - before.commits);
    state.counters["leads_per_commit"] =
        commits > 0 ? static_cast<double>(after.routes - before.routes) / commits
                    : 0;
  }
}
BENCHMARK(BM_RouteDurably)
    ->Setup(SetUp)
    ->Teardown(TearDown)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace leadrouter

BENCHMARK_MAIN();

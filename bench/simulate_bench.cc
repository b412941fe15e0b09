// The what-if simulator on 100,000 stored leads (target: at most 5 s):
// the whole SimulateConfig work (reading the window from the embedded
// store page by page, parsing, replaying through the draft, the report),
// and the routing core's replay alone.
//
// Set-up (not timed): a SQLite store in a temporary directory is filled
// with the realistic org and leads of e2e_bench (bench/realistic_org.h),
// a month of arrival times, through the store's own group commit. The
// draft takes five of the team's 20 reps out of it.
//
//   ./build/bench/simulate_bench                 # 100,000 leads
//   LEADS=20000 ./build/bench/simulate_bench     # a smaller store
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/realistic_org.h"
#include "benchmark/benchmark.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "routing/simulation.h"
#include "server/api/config_simulation.h"
#include "server/config/config_file.h"
#include "server/store/sqlite_store.h"

namespace leadrouter {
namespace {

struct Fixture {
  std::string dir;
  v1::RoutingConfig base;
  std::shared_ptr<const routing::RoutingTable> table;
  std::unique_ptr<server::SqliteStore> store;
  std::unique_ptr<server::CurrentTable> current;
  std::unique_ptr<server::RunningConfig> running;
  std::unique_ptr<server::ConfigSimulator> simulator;
  v1::SimulateConfigRequest request;  // the whole store, a draft
  std::vector<routing::PastLead> past;  // the same leads, in memory
  int64_t leads = 0;
};

Fixture* shared = nullptr;

void Fill(Fixture& f) {
  // A lead every 27 s: 100,000 leads span the month before 2025-10-21.
  const absl::Time start = absl::FromUnixSeconds(1758300000);
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0;
  std::atomic<bool> failed = false;
  for (int64_t n = 0; n < f.leads; ++n) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < 256; });
      ++in_flight;
    }
    const absl::Time now = start + absl::Seconds(27) * n;
    f.store->Route(
        bench::RealisticLead("sim-", n),
        [table = f.table, now](const v1::Lead& lead,
                               const routing::RoutingState& s) {
          return routing::Routed(routing::Decide(*table, lead, s, now));
        },
        [&](absl::StatusOr<server::RouteOutcome> outcome) {
          if (!outcome.ok()) failed = true;
          std::lock_guard lock(mu);
          --in_flight;
          cv.notify_all();
        });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  if (failed) std::abort();
}

void SetUp(const benchmark::State&) {
  if (shared != nullptr) return;
  shared = new Fixture();
  Fixture& f = *shared;
  const char* leads = std::getenv("LEADS");
  f.leads = leads != nullptr ? std::atoll(leads) : 100000;
  f.dir = std::filesystem::temp_directory_path() /
          ("leadrouter-simulate-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(f.dir);
  auto base = server::ParseConfigYaml(bench::kRealisticOrg, "bench.yaml");
  if (!base.ok()) std::abort();
  f.base = *base;
  auto table = server::RunningConfig::Compile(f.base, {});
  auto store = server::SqliteStore::Open(f.dir);
  if (!table.ok() || !store.ok()) std::abort();
  f.table = *table;
  f.store = *std::move(store);
  Fill(f);
  f.current = std::make_unique<server::CurrentTable>(f.table);
  server::RunningConfig::Options options;
  options.base = f.base;
  f.running = std::make_unique<server::RunningConfig>(*f.current, options);
  f.simulator = std::make_unique<server::ConfigSimulator>(
      *f.running, *f.store, [] { return absl::Now(); });
  // The draft: five of the team's 20 reps leave it.
  v1::RoutingConfig draft = f.base;
  draft.mutable_teams(0)->mutable_members()->DeleteSubrange(0, 5);
  *f.request.mutable_routing_config() = draft;
  f.request.mutable_since()->set_seconds(0);
  server::ReplayQuery query;
  query.limit = 1000;
  while (true) {
    auto page = f.store->ReplayLeads(query);
    if (!page.ok()) std::abort();
    for (auto& p : page->leads) f.past.push_back(std::move(p));
    if (!page->more) break;
    query.after_position = page->last_position;
  }
}

// SimulateConfig's whole work: store reads, parsing, replay, report.
void BM_SimulateConfig(benchmark::State& state) {
  int64_t changed = 0;
  for (auto _ : state) {
    auto report = shared->simulator->Run(shared->request);
    if (!report.ok() || report->leads() != shared->leads) {
      state.SkipWithError(
          report.ok() ? absl::StrCat("replayed ", report->leads()).c_str()
                      : std::string(report.status().message()).c_str());
      return;
    }
    changed = report->changed();
  }
  state.counters["leads"] = static_cast<double>(shared->leads);
  state.counters["changed"] = static_cast<double>(changed);
  state.counters["leads_per_s"] = benchmark::Counter(
      static_cast<double>(shared->leads) * state.iterations(),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateConfig)
    ->Setup(SetUp)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

// The routing core alone, on leads already in memory.
void BM_ReplayCore(benchmark::State& state) {
  auto draft = server::RunningConfig::Compile(
      shared->request.routing_config(), {});
  if (!draft.ok()) std::abort();
  for (auto _ : state) {
    routing::Simulation simulation(**draft, 100);
    for (const routing::PastLead& p : shared->past) simulation.Replay(p);
    benchmark::DoNotOptimize(simulation.Report());
  }
  state.counters["leads_per_s"] = benchmark::Counter(
      static_cast<double>(shared->past.size()) * state.iterations(),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplayCore)
    ->Setup(SetUp)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace leadrouter

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (leadrouter::shared != nullptr) {
    leadrouter::shared->simulator.reset();
    leadrouter::shared->store.reset();
    std::filesystem::remove_all(leadrouter::shared->dir);
  }
  return 0;
}

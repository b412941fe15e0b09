// Route throughput of the shared store against the embedded one, end to end
// over real leadrouterd processes, from one closed-loop load generator in
// one run: a SQLite node, one leadrouterd on PostgreSQL, and three
// leadrouterd replicas on one PostgreSQL (each caller thread keeps to one
// replica). The PostgreSQL cluster is a throwaway one on this machine
// (fsync on, synchronous_commit on), started as in the tests. Target: one
// PostgreSQL replica at least 0.5x the SQLite node.
//
//   ./build/bench/replicas_route_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)
//
// Counters: items_per_second (routes answered), p50_us and p99_us (each
// thread's percentiles, averaged over the threads), batch (routes per
// commit, from the servers' leadrouter_store_commit_batch_size histogram).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "bench/route_load.h"
#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "tests/server/daemon_process.h"
#include "tests/server/http_get.h"
#include "tests/server/pg_cluster.h"

namespace leadrouter {
namespace {

using testing::DaemonProcess;

struct Target {
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
};
Target* sqlite_node = nullptr;
Target* pg_one = nullptr;
Target* pg_three = nullptr;

// Sum and count of the commit batch-size histogram over the target's
// servers.
std::pair<double, double> BatchTotals(const Target& t) {
  double sum = 0, count = 0;
  static const std::regex kSum(
      R"(leadrouter_store_commit_batch_size_sum ([0-9.e+]+))");
  static const std::regex kCount(
      R"(leadrouter_store_commit_batch_size_count ([0-9.e+]+))");
  for (const auto& d : t.daemons) {
    auto body = testing::HttpGet(d->metrics_address(), "/metrics");
    if (!body.ok()) continue;
    std::smatch m;
    if (std::regex_search(*body, m, kSum)) sum += std::stod(m[1]);
    if (std::regex_search(*body, m, kCount)) count += std::stod(m[1]);
  }
  return {sum, count};
}

void Route(benchmark::State& state, Target* target) {
  auto stub = v1::LeadRouter::NewStub(
      target->channels[state.thread_index() % target->channels.size()]);
  std::pair<double, double> before;
  if (state.thread_index() == 0) before = BatchTotals(*target);
  bench::RouteInALoop(state, *stub, [](grpc::ClientContext&) {});
  if (state.thread_index() == 0) {
    // Other threads may still finish their last call: close enough for a
    // mean over thousands of commits.
    const auto after = BatchTotals(*target);
    const double commits = after.second - before.second;
    state.counters["batch"] =
        commits > 0 ? (after.first - before.first) / commits : 0;
  }
}

void BM_RouteSqliteNode(benchmark::State& s) { Route(s, sqlite_node); }
void BM_RoutePostgresOneReplica(benchmark::State& s) { Route(s, pg_one); }
void BM_RoutePostgresThreeReplicas(benchmark::State& s) { Route(s, pg_three); }

BENCHMARK(BM_RouteSqliteNode)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePostgresOneReplica)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePostgresThreeReplicas)
    ->Threads(16)
    ->UseRealTime()
    ->MinTime(3);
BENCHMARK(BM_RouteSqliteNode)->Threads(64)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePostgresOneReplica)->Threads(64)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePostgresThreeReplicas)
    ->Threads(64)
    ->UseRealTime()
    ->MinTime(3);

bool Add(Target& t, const std::string& config, const std::string& data_dir,
         std::vector<std::string> flags) {
  std::string log;
  auto d = DaemonProcess::Start(config, data_dir, flags, &log);
  if (d == nullptr) {
    std::fprintf(stderr, "leadrouterd did not start:\n%s\n", log.c_str());
    return false;
  }
  t.channels.push_back(
      grpc::CreateChannel(d->address(), grpc::InsecureChannelCredentials()));
  t.daemons.push_back(std::move(d));
  return true;
}

}  // namespace
}  // namespace leadrouter

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using namespace leadrouter;
  const std::string dir = testing::MakeTempDir("replicas_route_bench");
  testing::WriteFile(dir + "/routing.yaml", bench::kOpenTeamConfig);
  auto cluster = server::PgCluster::Start();
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(cluster.status().message()).c_str());
    return 1;
  }
  auto one = (*cluster)->NewDatabase("bench_one");
  auto three = (*cluster)->NewDatabase("bench_three");
  if (!one.ok() || !three.ok()) return 1;
  Target sqlite, pg1, pg3;
  const std::string config = dir + "/routing.yaml";
  bool ok = Add(sqlite, config, dir + "/sqlite", {}) &&
            Add(pg1, config, dir + "/unused1", {"--store=" + *one});
  for (int i = 0; ok && i < 3; ++i) {
    ok = Add(pg3, config, dir + "/unused3", {"--store=" + *three});
  }
  if (!ok) return 1;
  sqlite_node = &sqlite;
  pg_one = &pg1;
  pg_three = &pg3;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (Target* t : {&sqlite, &pg1, &pg3}) {
    for (auto& d : t->daemons) d->Terminate();
  }
  return 0;
}

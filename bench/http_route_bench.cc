// What the HTTP/JSON port costs a caller against gRPC: the same RouteLead
// work on one real leadrouterd (embedded store, real fsyncs), from the same
// closed-loop load generator in the same run, through gRPC and through
// POST /v1/leads:route with a kept-alive HTTP/1.1 connection per thread
// (cpp-httplib's client). Target: HTTP at least 0.5 of gRPC.
//
//   ./build/bench/http_route_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)
//
// Counters: items_per_second (routes answered), p50_us and p99_us (each
// thread's own percentiles, averaged over the threads).
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/route_load.h"
#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "tests/server/daemon_process.h"

namespace leadrouter {
namespace {

using testing::DaemonProcess;

struct Server {
  std::unique_ptr<DaemonProcess> daemon;
  std::shared_ptr<grpc::Channel> channel;
  std::string http_host;
  int http_port = 0;
};
Server* server = nullptr;

void BM_RouteGrpc(benchmark::State& state) {
  auto stub = v1::LeadRouter::NewStub(server->channel);
  bench::RouteInALoop(state, *stub, [](grpc::ClientContext&) {});
}

void BM_RouteHttp(benchmark::State& state) {
  static std::atomic<int64_t> next_id = 0;
  httplib::Client client(server->http_host, server->http_port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // as curl and most HTTP clients do
  client.set_read_timeout(30, 0);
  std::vector<double> micros;
  micros.reserve(1 << 16);
  for (auto _ : state) {
    const std::string body = absl::StrCat(
        "{\"lead\":{\"id\":\"H-", next_id.fetch_add(1),
        "\",\"countryCode\":\"DE\",\"stage\":\"STAGE_SQL\",\"score\":50}}");
    const auto start = std::chrono::steady_clock::now();
    httplib::Result r = client.Post("/v1/leads:route", body, "application/json");
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count());
    if (!r || r->status != 200) {
      state.SkipWithError(r ? r->body.c_str()
                            : httplib::to_string(r.error()).c_str());
      break;
    }
  }
  bench::ReportLatencies(state, micros);
}

// Side by side for each concurrency: gRPC, then HTTP.
BENCHMARK(BM_RouteGrpc)->Threads(1)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteHttp)->Threads(1)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteGrpc)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteHttp)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteGrpc)->Threads(64)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteHttp)->Threads(64)->UseRealTime()->MinTime(3);

}  // namespace
}  // namespace leadrouter

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using namespace leadrouter;
  const std::string dir = testing::MakeTempDir("http_route_bench");
  testing::WriteFile(dir + "/routing.yaml", bench::kOpenTeamConfig);
  Server s;
  std::string log;
  // Enough HTTP threads for the 64 kept-alive connections of the last level.
  s.daemon = DaemonProcess::Start(
      dir + "/routing.yaml", dir + "/data",
      {"--http_listen=127.0.0.1:0", "--http_threads=80"}, &log);
  if (s.daemon == nullptr) {
    std::fprintf(stderr, "leadrouterd did not start:\n%s\n", log.c_str());
    return 1;
  }
  s.channel = grpc::CreateChannel(s.daemon->address(),
                                  grpc::InsecureChannelCredentials());
  const std::string& http = s.daemon->http_address();
  s.http_host = http.substr(0, http.rfind(':'));
  s.http_port = std::stoi(http.substr(http.rfind(':') + 1));
  server = &s;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  server = nullptr;
  return s.daemon->Terminate() == 0 ? 0 : 1;
}

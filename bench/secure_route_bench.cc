// What TLS and authorization cost a caller end to end: RouteLead against a
// real leadrouterd with TLS and a bearer token (checked against the auth
// config) next to one in plaintext without auth, from the same closed-loop
// load generator in the same run. Target: the secure throughput is at least
// 0.8 of the plaintext one. Both servers run on this machine, with the
// embedded store (real fsyncs), each on its own data directory.
//
//   ./build/bench/secure_route_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)
//
// Counters: items_per_second (routes answered), p50_us and p99_us (each
// thread's own percentiles, averaged over the threads).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/route_load.h"
#include "grpcpp/grpcpp.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"
#include "server/auth/authorizer.h"
#include "tests/server/daemon_process.h"
#include "tests/server/test_certs.h"

namespace leadrouter {
namespace {

using testing::DaemonProcess;

constexpr char kToken[] = "bench-router-token-7c1e5a92f04b";

struct Servers {
  std::unique_ptr<DaemonProcess> plain, secure;
  std::shared_ptr<grpc::Channel> plain_channel, secure_channel;
};
Servers* servers = nullptr;

void Route(benchmark::State& state, bool secure) {
  auto stub = v1::LeadRouter::NewStub(secure ? servers->secure_channel
                                             : servers->plain_channel);
  bench::RouteInALoop(state, *stub, [secure](grpc::ClientContext& context) {
    if (secure) {
      context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    }
  });
}

void BM_RoutePlaintextNoAuth(benchmark::State& state) { Route(state, false); }
void BM_RouteTlsWithToken(benchmark::State& state) { Route(state, true); }

// Side by side for each concurrency: plaintext, then TLS.
BENCHMARK(BM_RoutePlaintextNoAuth)->Threads(1)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteTlsWithToken)->Threads(1)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePlaintextNoAuth)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteTlsWithToken)->Threads(16)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RoutePlaintextNoAuth)->Threads(64)->UseRealTime()->MinTime(3);
BENCHMARK(BM_RouteTlsWithToken)->Threads(64)->UseRealTime()->MinTime(3);

}  // namespace
}  // namespace leadrouter

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using namespace leadrouter;
  const std::string dir = testing::MakeTempDir("secure_route_bench");
  const testing::TestCerts certs = testing::TestCerts::Make(dir);
  testing::WriteFile(dir + "/routing.yaml", bench::kOpenTeamConfig);
  testing::WriteFile(dir + "/auth.yaml",
                     "principals:\n  - name: bench\n    token_sha256: " +
                         server::TokenDigestHex(kToken) +
                         "\n    roles: [router]\n");
  Servers s;
  std::string log;
  s.plain = DaemonProcess::Start(dir + "/routing.yaml", dir + "/plain", {}, &log);
  s.secure = DaemonProcess::Start(
      dir + "/routing.yaml", dir + "/secure",
      {"--tls_cert=" + certs.server_cert, "--tls_key=" + certs.server_key,
       "--auth_config=" + dir + "/auth.yaml"},
      &log);
  if (s.plain == nullptr || s.secure == nullptr) {
    std::fprintf(stderr, "leadrouterd did not start:\n%s\n", log.c_str());
    return 1;
  }
  s.plain_channel = grpc::CreateChannel(s.plain->address(),
                                        grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = testing::ReadFile(certs.ca);
  s.secure_channel =
      grpc::CreateChannel(s.secure->address(), grpc::SslCredentials(ssl));
  servers = &s;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  s.plain->Terminate();
  s.secure->Terminate();
  return 0;
}

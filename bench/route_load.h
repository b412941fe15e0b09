// The closed-loop load the end-to-end benchmarks drive: each benchmark
// thread sends RouteLead with a new lead id as soon as the last answer came,
// and reports routes per second and its own p50/p99 latency.
//
//   void BM_Route(benchmark::State& state) {
//     auto stub = v1::LeadRouter::NewStub(channel);
//     RouteInALoop(state, *stub, [](grpc::ClientContext&) {});
//   }
#ifndef LEADROUTER_BENCH_ROUTE_LOAD_H_
#define LEADROUTER_BENCH_ROUTE_LOAD_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "leadrouter/v1/lead_router.grpc.pb.h"

namespace leadrouter::bench {

// A routing config whose one team never runs out of capacity.
inline constexpr char kOpenTeamConfig[] = R"(
reps:
  - { id: r1, capacity: 100000 }
  - { id: r2, capacity: 100000 }
  - { id: r3, capacity: 100000 }
  - { id: r4, capacity: 100000 }
teams:
  - { id: all, members: [r1, r2, r3, r4] }
rules:
  - { id: all, target: { team: all } }
)";

// Sets items processed and this thread's p50_us and p99_us counters from
// each call's time in microseconds.
inline void ReportLatencies(benchmark::State& state,
                            std::vector<double>& micros) {
  state.SetItemsProcessed(state.iterations());
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(q * micros.size()))];
  };
  state.counters["p50_us"] =
      benchmark::Counter(at(0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] =
      benchmark::Counter(at(0.99), benchmark::Counter::kAvgThreads);
}

// Routes distinct leads until the benchmark stops; `prepare` sets up each
// call's context (e.g. a bearer token).
inline void RouteInALoop(
    benchmark::State& state, v1::LeadRouter::Stub& stub,
    const std::function<void(grpc::ClientContext&)>& prepare) {
  static std::atomic<int64_t> next_id = 0;
  std::vector<double> micros;
  micros.reserve(1 << 16);
  v1::RouteLeadRequest request;
  request.mutable_lead()->set_country_code("DE");
  request.mutable_lead()->set_stage(v1::STAGE_SQL);
  request.mutable_lead()->set_score(50);
  for (auto _ : state) {
    request.mutable_lead()->set_id("B-" + std::to_string(next_id.fetch_add(1)));
    grpc::ClientContext context;
    prepare(context);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::RouteLeadResponse response;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub.RouteLead(&context, request, &response);
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count());
    if (!s.ok()) {
      state.SkipWithError(s.error_message().c_str());
      break;
    }
  }
  ReportLatencies(state, micros);
}

}  // namespace leadrouter::bench

#endif  // LEADROUTER_BENCH_ROUTE_LOAD_H_

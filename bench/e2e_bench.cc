// End to end, as a caller sees it: one closed-loop load generator (async,
// generic stub, several connections) drives an empty gRPC service built
// like leadrouterd (bench/empty_server.cc) and a real leadrouterd on its
// embedded store, with the same request bytes: realistic, distinct leads.
// At each concurrency it prints QPS, p50 and p99 of both and the ratio of
// RouteLead to the empty call. Then it overloads leadrouterd (2,000 calls
// in flight by default) and reports goodput, calls shed with
// RESOURCE_EXHAUSTED, the admitted calls' p99 and leadrouterd's peak RSS.
//
//   ./build/bench/e2e_bench                  # 5 s per level
//   ./build/bench/e2e_bench --seconds=10 --levels=16,64 --overload=2000
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/alarm.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "bench/realistic_org.h"
#include "leadrouter/v1/lead_router.pb.h"
#include "tests/server/daemon_process.h"
#include "tests/server/http_get.h"

ABSL_FLAG(double, seconds, 5, "measured seconds per level (after 1 s warm-up)");
ABSL_FLAG(std::string, levels, "1,16,64,256", "calls in flight, per level");
ABSL_FLAG(int, overload, 2000, "calls in flight for the overload run; 0: none");
ABSL_FLAG(std::string, leadrouterd_flags, "",
          "extra leadrouterd flags, comma-separated");

extern char** environ;

namespace leadrouter::bench {
namespace {

constexpr char kMethod[] = "/leadrouter.v1.LeadRouter/RouteLead";

// One team of 20 reps across three territories' rules.
// A lead as a marketing platform sends it; every id distinct.
grpc::ByteBuffer LeadRequest(int64_t n) {
  v1::RouteLeadRequest request;
  *request.mutable_lead() =
      bench::RealisticLead(absl::StrCat("e2e-", ::getpid(), "-"), n);
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

struct Result {
  double qps = 0;      // answered OK per second
  double shed_ps = 0;  // RESOURCE_EXHAUSTED per second
  double p50_us = 0, p99_us = 0;  // of the OK calls
  int64_t errors = 0;             // other codes
  std::string first_error;
};

// The wait before a slot sends again after `sheds` refusals in a row, as
// the client library (client.cc) waits: what the server asked for in the
// grpc-retry-pushback-ms trailer (half to one and a half times it), else
// full jitter up to 100 ms, doubling per refusal, at most 5 s.
std::chrono::microseconds Backoff(int sheds,
                                  const grpc::ClientContext& context) {
  thread_local std::mt19937 random{std::random_device{}()};
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("grpc-retry-pushback-ms");
      it != trailers.end()) {
    int64_t ms = 0;
    if (absl::SimpleAtoi(absl::string_view(it->second.data(),
                                           it->second.size()),
                         &ms) &&
        ms > 0) {
      return std::chrono::microseconds(
          std::uniform_int_distribution<int64_t>(ms * 500, ms * 1500)(random));
    }
  }
  int64_t cap_us = 100000;
  for (int i = 1; i < sheds && cap_us < 5000000; ++i) cap_us *= 2;
  cap_us = std::min<int64_t>(cap_us, 5000000);
  return std::chrono::microseconds(
      std::uniform_int_distribution<int64_t>(0, cap_us)(random));
}

// Keeps `in_flight` calls going over `channels` for warm-up + `seconds`.
// A call refused with RESOURCE_EXHAUSTED backs off as the client library
// does before its slot sends again.
Result RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
               int in_flight, double seconds) {
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::chrono::steady_clock::time_point start;
    grpc::Alarm alarm;
    bool waiting = false;  // the tag is the alarm's
    int sheds = 0;         // refused in a row
    size_t channel = 0;
  };
  static std::atomic<int64_t> next_id = 0;
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& ch : channels) {
    stubs.push_back(std::make_unique<grpc::GenericStub>(ch));
  }
  const auto begin = std::chrono::steady_clock::now();
  const auto measure_from = begin + std::chrono::seconds(1);
  const auto end = measure_from + std::chrono::duration_cast<
                                      std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::vector<double> micros;
  micros.reserve(1 << 20);
  int64_t ok = 0, shed = 0;
  Result result;
  std::vector<Slot> slots(static_cast<size_t>(in_flight));
  auto send = [&](Slot& s) {
    s.waiting = false;
    s.context = std::make_unique<grpc::ClientContext>();
    s.context->set_deadline(std::chrono::system_clock::now() +
                            std::chrono::seconds(60));
    s.call = stubs[s.channel]->PrepareUnaryCall(
        s.context.get(), kMethod, LeadRequest(next_id.fetch_add(1)), &cq);
    s.start = std::chrono::steady_clock::now();
    s.call->StartCall();
    s.call->Finish(&s.response, &s.status, &s);
  };
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].channel = i % stubs.size();
    send(slots[i]);
  }
  int outstanding = in_flight;
  void* tag = nullptr;
  bool got = false;
  while (outstanding > 0 && cq.Next(&tag, &got)) {
    Slot& s = *static_cast<Slot*>(tag);
    const auto now = std::chrono::steady_clock::now();
    if (s.waiting) {  // the back-off ended
      if (now >= end) {
        --outstanding;
      } else {
        send(s);
      }
      continue;
    }
    const bool measured = s.start >= measure_from && now <= end;
    if (s.status.ok()) {
      if (measured) {
        ++ok;
        micros.push_back(
            std::chrono::duration<double, std::micro>(now - s.start).count());
      }
    } else if (s.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      if (measured) ++shed;
    } else {
      ++result.errors;
      if (result.first_error.empty()) {
        result.first_error = absl::StrCat(s.status.error_code(), " ",
                                          s.status.error_message());
      }
    }
    if (now >= end) {
      --outstanding;
    } else if (s.status.error_code() ==
               grpc::StatusCode::RESOURCE_EXHAUSTED) {
      s.waiting = true;
      s.alarm.Set(&cq, std::chrono::system_clock::now() + Backoff(++s.sheds, *s.context),
                  &s);
    } else {
      s.sheds = 0;
      send(s);
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &got)) {
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros.empty() ? 0.0
                          : micros[std::min(micros.size() - 1,
                                            static_cast<size_t>(
                                                q * micros.size()))];
  };
  result.qps = static_cast<double>(ok) / seconds;
  result.shed_ps = static_cast<double>(shed) / seconds;
  result.p50_us = at(0.50);
  result.p99_us = at(0.99);
  return result;
}

// Connections for `in_flight` calls: at least 4, and at most 64 streams on
// each (leadrouterd allows 100 per connection).
std::vector<std::shared_ptr<grpc::Channel>> Connect(const std::string& address,
                                                    int in_flight) {
  const int n = std::max(4, (in_flight + 63) / 64);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("leadrouter.bench.connection", i);  // no sharing
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto ch = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    ch->WaitForConnected(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    channels.push_back(ch);
  }
  return channels;
}

// Starts bench/empty_server; its address, or empty.
std::string StartEmptyServer(pid_t* pid) {
  const std::string path =
      (std::filesystem::path(EMPTY_SERVER_PATH)).string();
  int out[2];
  if (pipe(out) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  if (posix_spawn(pid, path.c_str(), &actions, nullptr, argv, environ) != 0) {
    return "";
  }
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out[0]);
  const std::string prefix = "listening ";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : "";
}

// The sum and count of a histogram in leadrouterd's /metrics.
std::pair<double, double> SumAndCount(const std::string& metrics,
                                      const std::string& name) {
  double sum = 0, count = 0;
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2) continue;
    if (parts[0] == name + "_sum") (void)absl::SimpleAtod(parts[1], &sum);
    if (parts[0] == name + "_count") (void)absl::SimpleAtod(parts[1], &count);
  }
  return {sum, count};
}

int64_t PeakRssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      int64_t kb = 0;
      std::vector<std::string> parts =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return 0;
}

int Main() {
  std::vector<int> levels;
  for (absl::string_view l :
       absl::StrSplit(absl::GetFlag(FLAGS_levels), ',', absl::SkipEmpty())) {
    int n = 0;
    if (absl::SimpleAtoi(l, &n) && n > 0) levels.push_back(n);
  }
  const double seconds = absl::GetFlag(FLAGS_seconds);

  pid_t empty_pid = -1;
  const std::string empty_address = StartEmptyServer(&empty_pid);
  if (empty_address.empty()) {
    std::fprintf(stderr, "e2e_bench: cannot start %s\n", EMPTY_SERVER_PATH);
    return 1;
  }
  const std::string dir = absl::StrCat("/tmp/leadrouter-e2e-", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/routing.yaml") << bench::kRealisticOrg;
  }
  std::vector<std::string> flags;
  for (absl::string_view f : absl::StrSplit(
           absl::GetFlag(FLAGS_leadrouterd_flags), ',', absl::SkipEmpty())) {
    flags.emplace_back(f);
  }
  std::string log;
  auto daemon = testing::DaemonProcess::Start(dir + "/routing.yaml",
                                              dir + "/data", flags, &log);
  if (daemon == nullptr) {
    std::fprintf(stderr, "e2e_bench: leadrouterd did not start:\n%s\n",
                 log.c_str());
    kill(empty_pid, SIGTERM);
    return 1;
  }
  std::printf("leadrouterd pid %d, empty server pid %d\n", daemon->pid(),
              empty_pid);
  std::printf(
      "%8s | %9s %8s %8s | %9s %8s %8s | %6s %6s\n", "in fli.", "empty/s",
      "p50 us", "p99 us", "route/s", "p50 us", "p99 us", "ratio", "p99 x");
  double peak = 0;
  for (int level : levels) {
    const Result empty =
        RunLoad(Connect(empty_address, level), level, seconds);
    const auto before = testing::HttpGet(daemon->metrics_address(), "/metrics");
    const Result route =
        RunLoad(Connect(daemon->address(), level), level, seconds);
    const auto after = testing::HttpGet(daemon->metrics_address(), "/metrics");
    std::string commits;
    if (before.ok() && after.ok()) {
      auto [s0, c0] = SumAndCount(*before, "leadrouter_store_commit_seconds");
      auto [s1, c1] = SumAndCount(*after, "leadrouter_store_commit_seconds");
      auto [b0, n0] = SumAndCount(*before, "leadrouter_store_commit_batch_size");
      auto [b1, n1] = SumAndCount(*after, "leadrouter_store_commit_batch_size");
      if (c1 > c0 && n1 > n0) {
        commits = absl::StrCat("  commit ", static_cast<int>(
                                               1e6 * (s1 - s0) / (c1 - c0)),
                               " us, batch ",
                               static_cast<int>((b1 - b0) / (n1 - n0)));
      }
    }
    peak = std::max(peak, route.qps);
    std::printf(
        "%8d | %9.0f %8.0f %8.0f | %9.0f %8.0f %8.0f | %6.2f %6.2f%s%s%s\n",
        level, empty.qps, empty.p50_us, empty.p99_us, route.qps, route.p50_us,
        route.p99_us, empty.qps > 0 ? route.qps / empty.qps : 0,
        empty.p99_us > 0 ? route.p99_us / empty.p99_us : 0, commits.c_str(),
        route.errors > 0 ? "  errors: " : "", route.first_error.c_str());
    std::fflush(stdout);
  }
  const int overload = absl::GetFlag(FLAGS_overload);
  if (overload > 0) {
    const Result over =
        RunLoad(Connect(daemon->address(), overload), overload, seconds);
    std::printf(
        "overload: %d in flight: goodput %.0f/s (%.0f%% of the peak %.0f/s), "
        "shed %.0f/s, admitted p50 %.0f us p99 %.0f us, other errors %lld%s%s\n",
        overload, over.qps, peak > 0 ? 100 * over.qps / peak : 0, peak,
        over.shed_ps, over.p50_us, over.p99_us,
        static_cast<long long>(over.errors),
        over.errors > 0 ? ": " : "", over.first_error.c_str());
  }
  std::printf("leadrouterd peak RSS %lld KiB\n",
              static_cast<long long>(PeakRssKb(daemon->pid())));
  daemon->Terminate();
  kill(empty_pid, SIGTERM);
  waitpid(empty_pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace leadrouter::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  return leadrouter::bench::Main();
}

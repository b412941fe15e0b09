// Named accounts at scale: loading a config whose accounts file lists
// 100,000 companies (parse, check, compile), and the decision with and
// without those accounts. Targets: the load within 1 s; the decision
// unchanged by the number of accounts.
//
//   ./build/bench/accounts_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "routing/decision.h"
#include "server/config/config_file.h"

namespace leadrouter {
namespace {

constexpr int kAccounts = 100000;
constexpr int kReps = 20;

// A 20-rep team; rule "owned" sends account leads to their owner, others
// to the team.
std::string ConfigYaml(bool with_accounts) {
  std::string yaml = "reps:\n";
  for (int r = 0; r < kReps; ++r) {
    absl::StrAppend(&yaml, "  - { id: rep", r, ", capacity: 100000 }\n");
  }
  yaml += "teams:\n  - id: sales\n    members: [";
  for (int r = 0; r < kReps; ++r) absl::StrAppend(&yaml, r ? ", " : "", "rep", r);
  yaml += "]\n";
  if (with_accounts) yaml += "accounts_file: accounts.csv\n";
  yaml += R"(rules:
  - id: owned
    target: { account_owner: true }
    fallback: { team: sales }
)";
  return yaml;
}

struct Files {
  std::filesystem::path dir;
  std::string with_accounts, without_accounts;
};

const Files& TheFiles() {
  static const Files* files = [] {
    auto* f = new Files;
    f->dir = std::filesystem::temp_directory_path() /
             absl::StrCat("accounts-bench-", ::getpid());
    std::filesystem::create_directories(f->dir);
    std::ofstream csv(f->dir / "accounts.csv");
    csv << "# domain,owner\n";
    for (int i = 0; i < kAccounts; ++i) {
      csv << "company-" << i << ".com,rep" << i % kReps << "\n";
    }
    f->with_accounts = (f->dir / "with.yaml").string();
    f->without_accounts = (f->dir / "without.yaml").string();
    std::ofstream(f->with_accounts) << ConfigYaml(true);
    std::ofstream(f->without_accounts) << ConfigYaml(false);
    return f;
  }();
  return *files;
}

std::shared_ptr<const routing::RoutingTable> Load(const std::string& path) {
  auto table = server::LoadRoutingTable(path);
  if (!table.ok()) std::abort();
  return *table;
}

void BM_LoadConfig_100kAccounts(benchmark::State& state) {
  const Files& files = TheFiles();
  for (auto _ : state) {
    auto table = Load(files.with_accounts);
    if (table->accounts().size() != kAccounts) std::abort();
    benchmark::DoNotOptimize(table);
  }
}
BENCHMARK(BM_LoadConfig_100kAccounts)->Unit(benchmark::kMillisecond);

// Leads of 1,000 companies, half of them accounts when there are any.
void Decide(benchmark::State& state, bool with_accounts) {
  const Files& files = TheFiles();
  static const auto with = Load(files.with_accounts);
  static const auto without = Load(files.without_accounts);
  const routing::RoutingTable& table = with_accounts ? *with : *without;
  std::mt19937 rng(7);
  std::vector<leadrouter::v1::Lead> leads(1024);
  for (size_t i = 0; i < leads.size(); ++i) {
    leads[i].set_id(absl::StrCat("lead-", i));
    leads[i].set_country_code("DE");
    leads[i].set_stage(leadrouter::v1::STAGE_SQL);
    const int company = static_cast<int>(rng() % 1000);
    leads[i].set_company_domain(
        rng() % 2 ? absl::StrCat("sales.company-", company * 97, ".com")
                  : absl::StrCat("other-", company, ".com"));
  }
  const routing::RoutingState routing_state;
  const absl::Time now = absl::FromUnixSeconds(1795000000);
  size_t i = 0;
  int owned = 0;
  for (auto _ : state) {
    routing::Decision d =
        routing::Decide(table, leads[i++ & 1023], routing_state, now);
    owned += !d.assignment.trace().account_domain().empty();
    benchmark::DoNotOptimize(d);
  }
  state.counters["owned_share"] =
      static_cast<double>(owned) / static_cast<double>(state.iterations());
}
void BM_Decide_NoAccounts(benchmark::State& s) { Decide(s, false); }
void BM_Decide_100kAccounts(benchmark::State& s) { Decide(s, true); }
BENCHMARK(BM_Decide_NoAccounts);
BENCHMARK(BM_Decide_100kAccounts);

}  // namespace
}  // namespace leadrouter

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(
      std::filesystem::temp_directory_path() /
      absl::StrCat("accounts-bench-", ::getpid()));
  return 0;
}

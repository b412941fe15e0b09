// Decision cost of the routing core, without the store: a small org (10
// rules, 10 reps) and a large one (10,000 rules, 5,000 reps in 500 teams,
// territories by country and by postal prefix, 20 product lines). The
// design's target: median <= 2 us for the small org, and the large one no
// more than 3x the small one, which only an index of the rules allows.
//
//   ./build/bench/decision_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one line)
//
// BM_Decide* measure Decide() alone on a fixed state; BM_Match* only the
// rule lookup, indexed and by scanning every rule, to show what the index
// saves. The "Criteria" org is the large one with every rule also on
// source, industry, company size, language or a custom field, and leads
// that carry them.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "routing/decision.h"

namespace leadrouter::routing {
namespace {

const char* kCountries[] = {
    "DE", "AT", "CH", "FR", "BE", "NL", "LU", "GB", "IE", "IT", "ES", "PT",
    "DK", "SE", "NO", "FI", "PL", "CZ", "SK", "HU", "SI", "HR", "RO", "BG",
    "GR", "US", "CA", "MX", "BR", "AR", "CL", "CO", "AU", "NZ", "JP", "KR",
    "SG", "IN", "ZA", "AE", "SA", "IL", "TR", "EE", "LV", "LT", "IS", "MT",
    "CY", "CN"};
constexpr int kNumCountries = sizeof(kCountries) / sizeof(kCountries[0]);
// Countries split into postal-prefix territories in the large org.
const char* kPostalCountries[] = {"DE", "FR", "US", "GB", "IT", "ES"};

struct Org {
  std::shared_ptr<const RoutingTable> table;
  std::vector<leadrouter::v1::Lead> leads;
  RoutingState state;
};

const char* kSources[] = {"webinar", "website", "trade-fair", "referral"};
const char* kIndustries[] = {"software", "manufacturing", "retail",
                             "finance", "health"};
const char* kLanguages[] = {"en", "de", "fr"};

leadrouter::v1::Lead MakeLead(std::mt19937& rng, int n, int countries,
                              int products, bool criteria) {
  leadrouter::v1::Lead lead;
  lead.set_id(absl::StrCat("lead-", n));
  lead.set_country_code(kCountries[rng() % countries]);
  lead.set_postal_code(absl::StrCat(10000 + rng() % 90000));
  lead.add_product_interests(absl::StrCat("product-", rng() % products));
  lead.set_score(static_cast<int>(rng() % 101));
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_company_domain(absl::StrCat("company-", rng() % 100000, ".com"));
  lead.set_language("en");
  if (criteria) {
    lead.set_source(kSources[rng() % 4]);
    lead.set_industry(kIndustries[rng() % 5]);
    lead.set_employee_count(static_cast<int>(1 + rng() % 20000));
    lead.set_language(kLanguages[rng() % 3]);
    (*lead.mutable_attributes())["tier"] = rng() % 2 ? "gold" : "silver";
  }
  return lead;
}

// Leads come from `countries` countries, the same ones the rules cover.
Org Build(int reps, int team_size, int rules, int countries, int products,
          bool criteria = false) {
  leadrouter::v1::RoutingConfig config;
  std::vector<std::string> territories;
  for (int c = 0; c < countries; ++c) {
    auto* t = config.add_territories();
    t->set_id(absl::StrCat("country-", kCountries[c]));
    t->add_countries(kCountries[c]);
    territories.push_back(t->id());
  }
  if (rules > 100) {
    for (const char* country : kPostalCountries) {
      for (int prefix = 10; prefix < 100; ++prefix) {
        auto* t = config.add_territories();
        t->set_id(absl::StrCat("postal-", country, "-", prefix));
        auto* area = t->add_postal_areas();
        area->set_country(country);
        area->add_prefixes(absl::StrCat(prefix));
        territories.push_back(t->id());
      }
    }
  }
  for (int r = 0; r < reps; ++r) {
    auto* rep = config.add_reps();
    rep->set_id(absl::StrCat("rep-", r));
    rep->set_capacity(1000);
    rep->set_daily_cap(200);
    rep->add_languages("en");
    rep->set_time_zone("Europe/Berlin");
  }
  const int teams = reps / team_size;
  for (int t = 0; t < teams; ++t) {
    auto* team = config.add_teams();
    team->set_id(absl::StrCat("team-", t));
    for (int m = 0; m < team_size; ++m) {
      team->add_members(absl::StrCat("rep-", t * team_size + m));
    }
  }
  std::mt19937 rng(99);
  for (int i = 0; i < rules - 1; ++i) {
    auto* rule = config.add_rules();
    rule->set_id(absl::StrCat("rule-", i));
    auto* match = rule->mutable_match();
    match->add_territories(territories[rng() % territories.size()]);
    match->add_product_interests(absl::StrCat("product-", rng() % products));
    if (rng() % 2) match->mutable_score()->set_min(static_cast<int>(rng() % 80));
    if (criteria) {
      match->add_sources(kSources[rng() % 4]);
      match->add_sources(kSources[rng() % 4]);
      match->add_industries(kIndustries[rng() % 5]);
      match->mutable_employee_count()->set_min(static_cast<int>(1 + rng() % 1000));
      if (rng() % 2) match->add_languages(kLanguages[rng() % 3]);
      auto* tier = match->add_attributes();
      tier->set_key("tier");
      tier->add_values("gold");
    }
    rule->mutable_target()->set_team(absl::StrCat("team-", i % teams));
  }
  auto* catch_all = config.add_rules();
  catch_all->set_id("catch-all");
  catch_all->mutable_target()->set_team("team-0");

  auto table = RoutingTable::Create(config);
  if (!table.ok()) std::abort();
  Org org{*table, {}, {}};
  for (int n = 0; n < 1024; ++n) {
    org.leads.push_back(MakeLead(rng, n, countries, products, criteria));
  }
  // Some load, so capacity checks see real numbers.
  for (int r = 0; r < reps; ++r) {
    org.state.SetOpenAssignments(absl::StrCat("rep-", r), r % 7);
  }
  return org;
}

const Org& Small() {
  static const Org* org = new Org(Build(10, 5, 10, 3, 3));
  return *org;
}
const Org& Large() {
  static const Org* org = new Org(Build(5000, 10, 10000, kNumCountries, 20));
  return *org;
}

const Org& LargeCriteria() {
  static const Org* org =
      new Org(Build(5000, 10, 10000, kNumCountries, 20, /*criteria=*/true));
  return *org;
}

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

void Decide(benchmark::State& state, const Org& org) {
  size_t i = 0;
  int matched = 0;
  for (auto _ : state) {
    Decision d = routing::Decide(*org.table, org.leads[i++ & 1023], org.state,
                                 kNow);
    matched += !d.assignment.rule_id().empty() &&
               d.assignment.rule_id() != "catch-all";
    benchmark::DoNotOptimize(d);
  }
  state.counters["specific_rule_share"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
}

void Match(benchmark::State& state, const Org& org, bool scan) {
  size_t i = 0;
  for (auto _ : state) {
    const LeadFacts facts(org.leads[i++ & 1023]);
    const CompiledRule* rule = scan ? org.table->MatchRuleByScan(facts)
                                    : org.table->MatchRule(facts);
    benchmark::DoNotOptimize(rule);
  }
}

void BM_Decide_10Rules_10Reps(benchmark::State& s) { Decide(s, Small()); }
void BM_Decide_10kRules_5kReps(benchmark::State& s) { Decide(s, Large()); }
void BM_Decide_10kRules_5kReps_Criteria(benchmark::State& s) {
  Decide(s, LargeCriteria());
}
void BM_Match_10kRules_Indexed(benchmark::State& s) { Match(s, Large(), false); }
void BM_Match_10kRules_Scan(benchmark::State& s) { Match(s, Large(), true); }

BENCHMARK(BM_Decide_10Rules_10Reps);
BENCHMARK(BM_Decide_10kRules_5kReps);
BENCHMARK(BM_Decide_10kRules_5kReps_Criteria);
BENCHMARK(BM_Match_10kRules_Indexed);
BENCHMARK(BM_Match_10kRules_Scan);

}  // namespace
}  // namespace leadrouter::routing

BENCHMARK_MAIN();

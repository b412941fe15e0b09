// The rule index must give exactly the answer of a top-to-bottom scan: checked
// on thousands of random rule sets and leads.
#include "routing/rule_index.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {
namespace {

const char* kCountries[] = {"DE", "AT", "CH", "FR", "GB", "US", "NL"};
const char* kRegions[] = {"DE-BY", "DE-BE", "FR-IDF", "US-CA", "GB-ENG"};
const char* kProducts[] = {"insights", "connect", "Scale", "edge"};
const char* kSources[] = {"webinar", "Website", "fair"};
const char* kLanguages[] = {"de", "en", "fr"};

template <typename T, size_t N>
const T& Pick(std::mt19937& rng, const T (&items)[N]) {
  return items[rng() % N];
}

leadrouter::v1::RoutingConfig RandomConfig(std::mt19937& rng) {
  leadrouter::v1::RoutingConfig config;
  auto* rep = config.add_reps();
  rep->set_id("r");
  rep->set_capacity(1);
  for (int t = 0; t < 6; ++t) {
    auto* territory = config.add_territories();
    territory->set_id(absl::StrCat("t", t));
    const int kind = static_cast<int>(rng() % 3);
    if (kind == 0) territory->add_countries(Pick(rng, kCountries));
    if (kind == 1) territory->add_regions(Pick(rng, kRegions));
    if (kind == 2 || rng() % 4 == 0) {
      auto* area = territory->add_postal_areas();
      area->set_country(Pick(rng, kCountries));
      area->add_prefixes(absl::StrCat(rng() % 10));
    }
  }
  const int rules = 1 + static_cast<int>(rng() % 30);
  for (int i = 0; i < rules; ++i) {
    auto* rule = config.add_rules();
    rule->set_id(absl::StrCat("rule", i));
    rule->mutable_target()->set_rep("r");
    auto* match = rule->mutable_match();
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
      match->add_territories(absl::StrCat("t", rng() % 6));
    }
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
      match->add_product_interests(Pick(rng, kProducts));
    }
    if (rng() % 3 == 0) match->mutable_score()->set_min(rng() % 100);
    if (rng() % 5 == 0) match->add_stages(leadrouter::v1::STAGE_MQL);
    if (rng() % 4 == 0) match->add_sources(Pick(rng, kSources));
    if (rng() % 4 == 0) match->add_languages(Pick(rng, kLanguages));
    if (rng() % 5 == 0) {
      match->mutable_employee_count()->set_min(1 + static_cast<int>(rng() % 500));
    }
    if (rng() % 6 == 0) match->add_attributes()->set_key("abm");
  }
  return config;
}

leadrouter::v1::Lead RandomLead(std::mt19937& rng) {
  leadrouter::v1::Lead lead;
  if (rng() % 8 != 0) lead.set_country_code(Pick(rng, kCountries));
  if (rng() % 3 == 0) {
    const std::string region = Pick(rng, kRegions);
    if (lead.country_code().empty() ||
        region.compare(0, 2, lead.country_code()) == 0) {
      lead.set_region_code(region);
    }
  }
  if (rng() % 2) lead.set_postal_code(absl::StrCat(rng() % 100000));
  for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
    lead.add_product_interests(Pick(rng, kProducts));
  }
  lead.set_score(static_cast<int>(rng() % 101));
  if (rng() % 2) lead.set_source(Pick(rng, kSources));
  if (rng() % 2) lead.set_language(Pick(rng, kLanguages));
  lead.set_employee_count(static_cast<int>(rng() % 1000));
  if (rng() % 2) (*lead.mutable_attributes())["abm"] = "yes";
  lead.set_stage(rng() % 2 ? leadrouter::v1::STAGE_MQL
                           : leadrouter::v1::STAGE_SQL);
  return lead;
}

TEST(RuleIndexTest, AgreesWithAScanOfEveryRule) {
  std::mt19937 rng(1234);
  int matched = 0, unmatched = 0;
  for (int c = 0; c < 300; ++c) {
    auto table = RoutingTable::Create(RandomConfig(rng));
    ASSERT_TRUE(table.ok()) << table.status();
    for (int l = 0; l < 200; ++l) {
      const leadrouter::v1::Lead lead = RandomLead(rng);
      const LeadFacts facts(lead);
      const CompiledRule* indexed = (*table)->MatchRule(facts);
      const CompiledRule* scanned = (*table)->MatchRuleByScan(facts);
      ASSERT_EQ(indexed, scanned)
          << "config " << c << " lead " << lead.ShortDebugString();
      ++(scanned != nullptr ? matched : unmatched);
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(matched, 10000);
  EXPECT_GT(unmatched, 1000);
}

}  // namespace
}  // namespace leadrouter::routing

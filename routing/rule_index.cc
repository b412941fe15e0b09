#include "routing/rule_index.h"

#include <limits>

#include "absl/container/flat_hash_set.h"
#include "routing/absl_string_view.h"

namespace leadrouter::routing {
RuleIndex::RuleIndex(const std::vector<CompiledRule>& rules) {
  for (const CompiledRule& rule : rules) {
    absl::flat_hash_set<std::string> countries;
    for (const TerritoryMatcher* t : rule.territories) {
      for (std::string& c : t->Countries()) countries.insert(std::move(c));
    }
    if (rule.territories.empty()) countries.insert("");
    std::vector<std::string> products(rule.products.begin(),
                                      rule.products.end());
    if (products.empty()) products.push_back("");
    for (const std::string& country : countries) {
      for (const std::string& product : products) {
        postings_[country][product].push_back(&rule);  // rules in order
      }
    }
  }
}

const RuleIndex::Postings* RuleIndex::Find(std::string_view country,
                                           std::string_view product) const {
  auto by_country = postings_.find(ToAbsl(country));
  if (by_country == postings_.end()) return nullptr;
  auto it = by_country->second.find(ToAbsl(product));
  return it == by_country->second.end() ? nullptr : &it->second;
}

const CompiledRule* RuleIndex::Match(const LeadFacts& facts) const {
  const CompiledRule* best = nullptr;
  auto scan = [&](const Postings* postings) {
    if (postings == nullptr) return;
    for (const CompiledRule* rule : *postings) {
      if (best != nullptr && rule->index >= best->index) return;
      if (rule->Matches(facts)) {
        best = rule;
        return;
      }
    }
  };
  const std::string_view country = facts.country();
  scan(Find("", ""));
  for (const std::string& product : facts.products()) scan(Find("", product));
  if (!country.empty()) {
    scan(Find(country, ""));
    for (const std::string& product : facts.products()) {
      scan(Find(country, product));
    }
  }
  return best;
}

}  // namespace leadrouter::routing

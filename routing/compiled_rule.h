// A rule ready to match, and the lead facts it matches against.
//
//   LeadFacts facts(lead);        // normalized once per decision
//   if (rule.Matches(facts)) ...
#ifndef LEADROUTER_ROUTING_COMPILED_RULE_H_
#define LEADROUTER_ROUTING_COMPILED_RULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "leadrouter/v1/config.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "routing/iso_codes.h"
#include "routing/territory.h"

namespace leadrouter::routing {

// What rules look at in a lead, normalized once per decision.
class LeadFacts {
 public:
  explicit LeadFacts(const leadrouter::v1::Lead& lead);

  const leadrouter::v1::Lead& lead() const { return lead_; }
  LeadPlace place() const {
    return {lead_.country_code(), lead_.region_code(), postal_};
  }
  // The country code, or the country of the region code when only that is
  // given.
  std::string_view country() const { return country_; }
  // Product interests in lower case.
  const std::vector<std::string>& products() const { return products_; }
  // Primary language subtag in lower case ("de" for "de-AT"); may be empty.
  const std::string& language() const { return language_; }
  // Source and industry in lower case; may be empty.
  const std::string& source() const { return source_; }
  const std::string& industry() const { return industry_; }

 private:
  const leadrouter::v1::Lead& lead_;
  std::string postal_;
  std::string_view country_;
  std::vector<std::string> products_;
  std::string language_;
  std::string source_;
  std::string industry_;
};

// A custom field a rule requires: the key, and the values it may have
// (empty: any).
struct AttributeCriterion {
  std::string key;
  absl::flat_hash_set<std::string> values;
};

struct CompiledRule {
  int index = 0;  // position in the config
  const leadrouter::v1::Rule* rule = nullptr;
  std::vector<const TerritoryMatcher*> territories;  // any of; empty = all
  absl::flat_hash_set<std::string> products;  // lower case; empty = all
  std::optional<int> min_score, max_score;
  uint32_t stage_mask = 0;  // bit per Stage value; 0 = all
  absl::flat_hash_set<std::string> sources;     // lower case; empty = all
  absl::flat_hash_set<std::string> industries;  // lower case; empty = all
  absl::flat_hash_set<std::string> languages;   // lower case; empty = all
  bool employee_range = false;  // when set, an unknown count (0) fails
  std::optional<int> min_employees, max_employees;
  std::vector<AttributeCriterion> attributes;  // every one must hold

  // Fills the criteria from the rule's match (territories aside: they
  // are resolved by the table).
  void CompileMatch(const leadrouter::v1::RuleMatch& match);

  bool Matches(const LeadFacts& facts) const;
};

// Lower-case copy.
std::string Lower(std::string_view s);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_COMPILED_RULE_H_

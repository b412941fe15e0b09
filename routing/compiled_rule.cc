#include "routing/compiled_rule.h"

#include <algorithm>
#include <cctype>

#include "routing/iso_codes.h"

namespace leadrouter::routing {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

LeadFacts::LeadFacts(const leadrouter::v1::Lead& lead)
    : lead_(lead),
      postal_(NormalizePostalCode(lead.postal_code())),
      language_(PrimaryLanguage(lead.language())),
      source_(Lower(lead.source())),
      industry_(Lower(lead.industry())) {
  country_ = lead.country_code();
  if (country_.empty() && lead.region_code().size() >= 2) {
    country_ = std::string_view(lead.region_code()).substr(0, 2);
  }
  products_.reserve(lead.product_interests_size());
  for (const std::string& p : lead.product_interests()) {
    products_.push_back(Lower(p));
  }
}

void CompiledRule::CompileMatch(const leadrouter::v1::RuleMatch& match) {
  for (const std::string& p : match.product_interests()) {
    products.insert(Lower(p));
  }
  if (match.score().has_min()) min_score = match.score().min();
  if (match.score().has_max()) max_score = match.score().max();
  for (int stage : match.stages()) stage_mask |= 1u << stage;
  for (const std::string& s : match.sources()) sources.insert(Lower(s));
  for (const std::string& s : match.industries()) industries.insert(Lower(s));
  for (const std::string& s : match.languages()) languages.insert(Lower(s));
  if (match.has_employee_count()) {
    employee_range = true;
    if (match.employee_count().has_min()) {
      min_employees = match.employee_count().min();
    }
    if (match.employee_count().has_max()) {
      max_employees = match.employee_count().max();
    }
  }
  for (const leadrouter::v1::AttributeMatch& a : match.attributes()) {
    attributes.push_back(
        {a.key(), absl::flat_hash_set<std::string>(a.values().begin(),
                                                   a.values().end())});
  }
}

bool CompiledRule::Matches(const LeadFacts& facts) const {
  const leadrouter::v1::Lead& lead = facts.lead();
  if (stage_mask != 0 && (stage_mask & (1u << lead.stage())) == 0) {
    return false;
  }
  if (min_score && lead.score() < *min_score) return false;
  if (max_score && lead.score() > *max_score) return false;
  if (!products.empty() &&
      std::none_of(facts.products().begin(), facts.products().end(),
                   [&](const std::string& p) { return products.contains(p); })) {
    return false;
  }
  if (!sources.empty() && !sources.contains(facts.source())) return false;
  if (!industries.empty() && !industries.contains(facts.industry())) {
    return false;
  }
  if (!languages.empty() && !languages.contains(facts.language())) {
    return false;
  }
  if (employee_range) {
    const int count = lead.employee_count();
    if (count <= 0) return false;
    if (min_employees && count < *min_employees) return false;
    if (max_employees && count > *max_employees) return false;
  }
  for (const AttributeCriterion& a : attributes) {
    auto it = lead.attributes().find(a.key);
    if (it == lead.attributes().end()) return false;
    if (!a.values.empty() && !a.values.contains(it->second)) return false;
  }
  if (!territories.empty()) {
    const LeadPlace place = facts.place();
    if (std::none_of(territories.begin(), territories.end(),
                     [&](const TerritoryMatcher* t) {
                       return t->Contains(place);
                     })) {
      return false;
    }
  }
  return true;
}

}  // namespace leadrouter::routing

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
      language_(PrimaryLanguage(lead.language())) {
  country_ = lead.country_code();
  if (country_.empty() && lead.region_code().size() >= 2) {
    country_ = std::string_view(lead.region_code()).substr(0, 2);
  }
  products_.reserve(lead.product_interests_size());
  for (const std::string& p : lead.product_interests()) {
    products_.push_back(Lower(p));
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

// Postal ranges compare the leading characters of a code, so "10"–"19" holds
// every code that starts with 10 to 19, whatever its full length.
#include "routing/territory.h"

#include "absl/strings/match.h"
#include "routing/absl_string_view.h"
#include "routing/iso_codes.h"

namespace leadrouter::routing {

TerritoryMatcher::TerritoryMatcher(const leadrouter::v1::Territory& territory)
    : id_(territory.id()) {
  countries_.insert(territory.countries().begin(), territory.countries().end());
  regions_.insert(territory.regions().begin(), territory.regions().end());
  for (const auto& area : territory.postal_areas()) {
    PostalRules& rules = postal_by_country_[area.country()];
    for (const auto& prefix : area.prefixes()) {
      rules.prefixes.push_back(NormalizePostalCode(prefix));
    }
    for (const auto& range : area.ranges()) {
      rules.ranges.emplace_back(NormalizePostalCode(range.first()),
                                NormalizePostalCode(range.last()));
    }
  }
}

bool TerritoryMatcher::Contains(const LeadPlace& place) const {
  if (!place.country.empty() &&
      countries_.contains(ToAbsl(place.country))) {
    return true;
  }
  if (!place.region.empty() && regions_.contains(ToAbsl(place.region))) {
    return true;
  }
  if (place.country.empty() || place.postal.empty()) return false;
  auto it = postal_by_country_.find(ToAbsl(place.country));
  if (it == postal_by_country_.end()) return false;
  for (const std::string& prefix : it->second.prefixes) {
    if (absl::StartsWith(ToAbsl(place.postal), prefix)) {
      return true;
    }
  }
  for (const auto& [first, last] : it->second.ranges) {
    if (place.postal.size() < first.size()) continue;
    std::string_view head = place.postal.substr(0, first.size());
    if (head >= first && head <= last) return true;
  }
  return false;
}

std::vector<std::string> TerritoryMatcher::Countries() const {
  absl::flat_hash_set<std::string> all(countries_.begin(), countries_.end());
  for (const std::string& region : regions_) all.insert(region.substr(0, 2));
  for (const auto& [country, rules] : postal_by_country_) all.insert(country);
  return std::vector<std::string>(all.begin(), all.end());
}

}  // namespace leadrouter::routing

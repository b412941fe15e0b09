// A territory compiled for matching: sets of countries and regions, and per
// country the postal prefixes and prefix ranges it holds.
//
//   TerritoryMatcher dach(config.territories(0));
//   if (dach.Contains(LeadPlace{"DE", "", "80331"})) ...
#ifndef LEADROUTER_ROUTING_TERRITORY_H_
#define LEADROUTER_ROUTING_TERRITORY_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "leadrouter/v1/config.pb.h"

namespace leadrouter::routing {

// Where a lead is, as territories compare it.
struct LeadPlace {
  std::string_view country;  // ISO 3166-1 alpha-2, may be empty
  std::string_view region;   // ISO 3166-2, may be empty
  std::string_view postal;   // NormalizePostalCode() form, may be empty
};

// Immutable; safe to share between threads.
class TerritoryMatcher {
 public:
  // `territory` must have passed ValidateConfig.
  explicit TerritoryMatcher(const leadrouter::v1::Territory& territory);

  const std::string& id() const { return id_; }
  bool Contains(const LeadPlace& place) const;
  // Every country the territory reaches into (its countries, the countries
  // of its regions and of its postal areas), for indexing rules.
  std::vector<std::string> Countries() const;

 private:
  struct PostalRules {
    std::vector<std::string> prefixes;
    std::vector<std::pair<std::string, std::string>> ranges;  // first, last
  };

  std::string id_;
  absl::flat_hash_set<std::string> countries_;
  absl::flat_hash_set<std::string> regions_;
  absl::flat_hash_map<std::string, PostalRules> postal_by_country_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_TERRITORY_H_

// A routing config compiled for deciding: validated, indexed by id, rules
// ready to match. Immutable once built, so one table is shared by every
// request routed on its config version.
//
//   absl::StatusOr<std::shared_ptr<const RoutingTable>> table =
//       RoutingTable::Create(config);
//   if (!table.ok()) return table.status();  // every config error listed
//   const CompiledRule* rule = (*table)->MatchRule(LeadFacts(lead));
#ifndef LEADROUTER_ROUTING_ROUTING_TABLE_H_
#define LEADROUTER_ROUTING_ROUTING_TABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "leadrouter/v1/config.pb.h"
#include "leadrouter/v1/lead.pb.h"
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
  // Product interests in lower case.
  const std::vector<std::string>& products() const { return products_; }

 private:
  const leadrouter::v1::Lead& lead_;
  std::string postal_;
  std::vector<std::string> products_;
};

struct CompiledRule {
  int index = 0;  // position in the config
  const leadrouter::v1::Rule* rule = nullptr;
  std::vector<const TerritoryMatcher*> territories;  // any of; empty = all
  absl::flat_hash_set<std::string> products;  // lower case; empty = all
  std::optional<int> min_score, max_score;
  uint32_t stage_mask = 0;  // bit per Stage value; 0 = all

  bool Matches(const LeadFacts& facts) const;
};

class RoutingTable {
 public:
  // INVALID_ARGUMENT listing every error of the config (one per line, each
  // starting with the field path) when it is not valid.
  static absl::StatusOr<std::shared_ptr<const RoutingTable>> Create(
      leadrouter::v1::RoutingConfig config);

  const leadrouter::v1::RoutingConfig& config() const { return config_; }
  const std::string& version() const { return version_; }

  // The first rule that matches, or nullptr.
  const CompiledRule* MatchRule(const LeadFacts& facts) const;

  const leadrouter::v1::Rep* FindRep(std::string_view id) const;
  const leadrouter::v1::Team* FindTeam(std::string_view id) const;

 private:
  RoutingTable() = default;

  leadrouter::v1::RoutingConfig config_;
  std::string version_;
  std::vector<TerritoryMatcher> territories_;
  std::vector<CompiledRule> rules_;
  absl::flat_hash_map<std::string, const leadrouter::v1::Rep*> reps_;
  absl::flat_hash_map<std::string, const leadrouter::v1::Team*> teams_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ROUTING_TABLE_H_

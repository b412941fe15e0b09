// A routing config compiled for deciding: validated, indexed by id, rules
// indexed for matching, reps' availability parsed. Immutable once built, so
// one table is shared by every request routed on its config version.
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
#include "routing/accounts.h"
#include "routing/availability.h"
#include "absl/time/time.h"
#include "routing/compiled_rule.h"
#include "routing/rule_index.h"
#include "routing/territory.h"

namespace leadrouter::routing {

struct CompiledRep {
  const leadrouter::v1::Rep* rep = nullptr;
  Availability availability;
  absl::flat_hash_set<std::string> languages;  // primary subtags, lower case
  absl::flat_hash_set<std::string> products;   // lower case
  std::vector<std::string> team_ids;           // teams the rep is a member of
};

struct CompiledTeam {
  const leadrouter::v1::Team* team = nullptr;
  std::vector<const CompiledRep*> members;  // rotation order
  std::vector<int> weights;                 // per member; 1 when not given
  // The team's response time; zero when it has none.
  absl::Duration accept_within = absl::ZeroDuration();
};

class RoutingTable {
 public:
  // INVALID_ARGUMENT listing every error of the config (one per line, each
  // starting with the field path) when it is not valid.
  static absl::StatusOr<std::shared_ptr<const RoutingTable>> Create(
      leadrouter::v1::RoutingConfig config);

  const leadrouter::v1::RoutingConfig& config() const { return config_; }
  const std::string& version() const { return version_; }

  // The first rule that matches, or nullptr; uses the index.
  const CompiledRule* MatchRule(const LeadFacts& facts) const {
    return index_->Match(facts);
  }
  // The same answer by trying every rule in order (for tests and
  // benchmarks that compare the two).
  const CompiledRule* MatchRuleByScan(const LeadFacts& facts) const;

  const CompiledRep* FindRep(std::string_view id) const;
  const CompiledTeam* FindTeam(std::string_view id) const;
  // The intake mapping named `id` (config intake_mappings), or nullptr.
  const leadrouter::v1::IntakeMapping* FindIntakeMapping(
      std::string_view id) const;
  // The named accounts (config accounts).
  const AccountBook& accounts() const { return accounts_; }

  // How the metrics count a lead's source: its lower-case name when the
  // config names it (lead_sources, or a rule's sources), "none" when the
  // lead has none, else "other". The values are bounded by the config.
  std::string SourceLabel(std::string_view source) const;

 private:
  RoutingTable() = default;

  leadrouter::v1::RoutingConfig config_;
  std::string version_;
  std::vector<TerritoryMatcher> territories_;
  std::vector<CompiledRule> rules_;
  std::optional<RuleIndex> index_;
  absl::flat_hash_map<std::string, CompiledRep> reps_;
  absl::flat_hash_map<std::string, CompiledTeam> teams_;
  absl::flat_hash_set<std::string> counted_sources_;  // lower case
  AccountBook accounts_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ROUTING_TABLE_H_
